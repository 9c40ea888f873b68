import { requestIdReused, MemError, failedPrecondition, newId } from '@memsidecar/core';
import { commandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import { openUpload, uploadDecider, type UploadPart, type UploadState } from './artifact-upload.decider';
import type { UploadAppendedData, UploadEvent } from './artifact.events';
import { formatUploadId, parseUploadId, uploadAddress, uploadAggregate, uploadSubject } from './artifact.aggregate';
import { ArtifactUploadAppendInput, ArtifactUploadBeginInput, ArtifactUploadCommitInput } from './artifact.dto';
import type { ArtifactRef, ArtifactUploadAppendResult, ArtifactUploadBeginResult } from './artifact.replies';
import { decodeData, discard, once, stagedBlobName, versionBlobName } from './artifact.blobs';
import { MAX_DATA_BYTES, artifactContext } from './artifact.settings';
import { DEFAULT_CONTENT_TYPE, storeArtifact } from './artifact.store';
import type { BlobKey, BlobStore } from './blob-store';

/** The upload's state as the log has it now, folded from all its events. */
export async function loadUpload(deps: BlockDependencies, tenant: string, ns: string, uuid: string): Promise<UploadState> {
  let state = uploadDecider.initialState();
  for await (const e of deps.store.read({ filter: uploadSubject(deps.store.prefix, tenant, ns, uuid) })) {
    if (!e.erased) state = uploadDecider.evolve(state, e as unknown as UploadEvent);
  }
  return state;
}

/**
 * The parts in order as one stream: each staged blob is read only while it is being copied.
 * `keepAlive` runs between parts, so a long copy can keep the upload from expiring under it.
 */
async function* concatenate(blobs: BlobStore, tenant: string, ns: string, parts: UploadPart[], keepAlive: () => Promise<void>): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    await keepAlive();
    yield* blobs.read({ tenant, ns, name: part.blob });
  }
}

/** Removes an upload's staged parts once they are copied or abandoned; what fails is left to the collector. */
export const discardParts = async (blobs: BlobStore, tenant: string, ns: string, parts: UploadPart[]): Promise<void> => {
  for (const part of parts) await discard(blobs, { tenant, ns, name: part.blob });
};

const uploadOf = (uploadId: string) => parseUploadId(uploadId)!;

export function artifactUploadOperations(deps: BlockDependencies, blobs: () => Promise<BlobStore>): Operation[] {
  const { settings } = artifactContext(deps);
  const run = (ctx: RequestContext, ns: string, uuid: string, command: Parameters<typeof uploadDecider.decide>[0], requestId: string | undefined) =>
    deps.runtime.handle(uploadAggregate, uploadAddress(ctx.principal.tenant, ns, uuid), command, { ...commandMeta(ctx), requestId });

  return [
    operation<ArtifactUploadBeginInput, ArtifactUploadBeginResult>('artifact', 'upload.begin', {
      mutation: true,
      input: ArtifactUploadBeginInput,
      async handle(i, ctx) {
        const uuid = newId();
        const uploadId = formatUploadId(i.ns, uuid);
        const command = { type: 'BeginUpload', uploadId, id: i.id ?? newId(), contentType: i.contentType ?? DEFAULT_CONTENT_TYPE, metadata: i.metadata ?? {}, ttlMs: settings.uploadTtlMs } as const;
        const { event } = await run(ctx, i.ns, uuid, command, ctx.requestId);
        if (event?.type !== 'artifact.upload_begun') throw requestIdReused();
        return { uploadId: (event.data as { uploadId: string }).uploadId };
      },
    }),
    operation<ArtifactUploadAppendInput, ArtifactUploadAppendResult>('artifact', 'upload.append', {
      mutation: true,
      input: ArtifactUploadAppendInput,
      // The upload's namespace is part of its id, so the token is checked before anything is read.
      namespace: (i) => parseUploadId(i.uploadId)?.ns ?? '',
      async handle(i, ctx) {
        const { ns, uuid } = uploadOf(i.uploadId);
        const bytes = decodeData(i.data, MAX_DATA_BYTES);
        if (bytes.length === 0) throw new MemError('INVALID_ARGUMENT', 'data: must not be empty', undefined, { field: 'data' });
        // Not even staged for an upload this tenant never began (the subject is the caller's tenant's own).
        if ((await deps.store.lastSeq(uploadSubject(deps.store.prefix, ctx.principal.tenant, ns, uuid))) === 0)
          throw new MemError('NOT_FOUND', 'uploadId: no such upload (unknown, expired or in another namespace)', undefined, { field: 'uploadId' });
        const store = await blobs();
        const key: BlobKey = { tenant: ctx.principal.tenant, ns, name: stagedBlobName(uuid) };
        const written = await store.put(key, once(bytes));
        try {
          const { event } = await run(ctx, ns, uuid, { type: 'AppendPart', blob: key.name, size: written.size, ttlMs: settings.uploadTtlMs }, ctx.requestId);
          if (event?.type !== 'artifact.upload_appended') throw requestIdReused();
          const d = event.data as UploadAppendedData;
          if (d.blob !== key.name) await discard(store, key);
          return { size: d.totalSize };
        } catch (e) {
          await discard(store, key);
          throw e;
        }
      },
    }),
    operation<ArtifactUploadCommitInput, ArtifactRef>('artifact', 'upload.commit', {
      mutation: true,
      input: ArtifactUploadCommitInput,
      namespace: (i) => parseUploadId(i.uploadId)?.ns ?? '',
      async handle(i, ctx) {
        const { ns, uuid } = uploadOf(i.uploadId);
        const tenant = ctx.principal.tenant;
        const store = await blobs();
        const state = await loadUpload(deps, tenant, ns, uuid);
        // Sealed by an earlier attempt that did not get to answer: finish storing what it sealed.
        if (state.status === 'committed' && state.committed) {
          const { blob, size, sha256 } = state.committed;
          const again = { type: 'StoreArtifact', id: state.id, blob, size, sha256, contentType: state.contentType, metadata: state.metadata } as const;
          const { ref } = await storeArtifact(deps, ctx, ns, again, undefined);
          return ref;
        }
        const upload = openUpload(state, ctx.now);
        const key: BlobKey = { tenant, ns, name: versionBlobName(upload.id, ctx.now) };
        let extendedAt = 0;
        // Concatenating many parts can outlast the upload's TTL: each extension is judged on the clock as it runs, not on the request's time.
        const keepAlive = async () => {
          const now = deps.clock.now();
          if (now.getTime() - extendedAt < settings.uploadTtlMs / 3) return;
          extendedAt = now.getTime();
          await run({ ...ctx, now }, ns, uuid, { type: 'ExtendUpload', ttlMs: settings.uploadTtlMs }, undefined);
        };
        const written = await store.put(key, concatenate(store, tenant, ns, upload.parts, keepAlive));
        const expected = i.sha256?.toLowerCase();
        if (written.size !== upload.size || (expected !== undefined && expected !== written.sha256)) {
          await discard(store, key);
          if (written.size !== upload.size) throw new MemError('UNAVAILABLE', 'a staged part could not be read whole; commit again');
          throw failedPrecondition('DIGEST_MISMATCH', `sha256 mismatch: the client says ${expected}, the service computed ${written.sha256}`, {
            field: 'sha256',
            expected,
            actual: written.sha256,
          });
        }
        const sealed = { type: 'CommitUpload', expectedParts: upload.parts.length, blob: key.name, size: written.size, sha256: written.sha256 } as const;
        try {
          const { event } = await run(ctx, ns, uuid, sealed, ctx.requestId);
          if (event && event.type !== 'artifact.upload_committed') throw requestIdReused();
        } catch (e) {
          await discard(store, key);
          throw e;
        }
        // The request id already names the commit event; the artifact's own event gets none.
        const { ref } = await storeArtifact(deps, ctx, ns, { type: 'StoreArtifact', id: upload.id, blob: key.name, size: written.size, sha256: written.sha256, contentType: upload.contentType, metadata: upload.metadata }, undefined);
        await discardParts(store, tenant, ns, upload.parts);
        return ref;
      },
    }),
  ];
}
