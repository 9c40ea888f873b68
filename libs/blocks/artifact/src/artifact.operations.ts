import { requestIdReused, MemError, newId, type StoredEvent } from '@memsidecar/core';
import { commandMeta, defaultWithinCap, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import type { ArtifactEvent } from './artifact.events';
import { artifactAddress, artifactAggregate } from './artifact.aggregate';
import { ArtifactDeleteInput, ArtifactIdInput, ArtifactListInput, ArtifactPutInput, ArtifactRangeInput } from './artifact.dto';
import type { ArtifactChunk, ArtifactDeleteResult, ArtifactGetResult, ArtifactListResult, ArtifactRef, ArtifactStatResult } from './artifact.replies';
import { ArtifactQueries, type ArtifactRow } from './artifact.queries';
import { blobRange, decodeData, discard, once, readRange, refOfRow, versionBlobName } from './artifact.blobs';
import { MAX_DATA_BYTES, MAX_STREAM_CHUNK_BYTES, artifactContext } from './artifact.settings';
import type { BlobKey } from './blob-store';
import { artifactUploadOperations } from './artifact-upload.operations';
import { DEFAULT_CONTENT_TYPE, storeArtifact } from './artifact.store';

export function artifactOperations(deps: BlockDependencies): Operation[] {
  const { blobs } = artifactContext(deps);
  const queries = new ArtifactQueries(deps.db);

  /** The newest version, after the read model holds this instance's writes (and `minSeq`). */
  const current = async (ctx: RequestContext, i: { ns: string; id: string; minSeq?: number }): Promise<ArtifactRow> => {
    await deps.readModels.ready('artifact', i.minSeq);
    const row = await queries.get(ctx.principal.tenant, i.ns, i.id);
    if (!row) throw new MemError('NOT_FOUND', `artifact ${i.id} not found`, undefined, { field: 'id' });
    return row;
  };
  const blobKey = (ctx: RequestContext, ns: string, name: string): BlobKey => ({ tenant: ctx.principal.tenant, ns, name });

  return [
    operation<ArtifactPutInput, ArtifactRef>('artifact', 'put', {
      mutation: true,
      input: ArtifactPutInput,
      async handle(i, ctx) {
        const bytes = decodeData(i.data, MAX_DATA_BYTES);
        const id = i.id ?? newId();
        const key = blobKey(ctx, i.ns, versionBlobName(id, ctx.now));
        // Bytes first, then the event naming them: a crash in between leaves a blob the collector removes.
        const written = await (await blobs()).put(key, once(bytes));
        const command = { type: 'StoreArtifact', id, blob: key.name, ...written, contentType: i.contentType ?? DEFAULT_CONTENT_TYPE, metadata: i.metadata ?? {} } as const;
        try {
          const { ref, blob } = await storeArtifact(deps, ctx, i.ns, command, ctx.requestId);
          // A retried request id answers with the original version; this attempt's bytes are not needed.
          if (blob !== key.name) await discard(await blobs(), key);
          return ref;
        } catch (e) {
          await discard(await blobs(), key);
          throw e;
        }
      },
    }),
    operation<ArtifactRangeInput, ArtifactGetResult>('artifact', 'get', {
      mutation: false,
      input: ArtifactRangeInput,
      async handle(i, ctx) {
        const row = await current(ctx, i);
        const length = Math.min(i.length ?? MAX_DATA_BYTES, MAX_DATA_BYTES);
        const data = await readRange(await blobs(), blobKey(ctx, i.ns, row.blob), i.offset ?? 0, length);
        return { ref: refOfRow(row), data: data.toString('base64') };
      },
    }),
    operation<ArtifactRangeInput, never, ArtifactChunk>('artifact', 'read', {
      mutation: false,
      input: ArtifactRangeInput,
      async stream(i, ctx, sink) {
        const row = await current(ctx, i);
        let offset = i.offset ?? 0;
        for await (const chunk of blobRange(await blobs(), blobKey(ctx, i.ns, row.blob), offset, i.length)) {
          for (let at = 0; at < chunk.length; at += MAX_STREAM_CHUNK_BYTES) {
            const piece = chunk.subarray(at, at + MAX_STREAM_CHUNK_BYTES);
            await sink({ offset, data: Buffer.from(piece.buffer, piece.byteOffset, piece.length).toString('base64') });
            offset += piece.length;
            // The transport publishes without waiting; flushing keeps a large read from piling up in this process.
            await deps.jetStream?.nc.flush();
          }
        }
      },
    }),
    operation<ArtifactIdInput, ArtifactStatResult>('artifact', 'stat', {
      mutation: false,
      input: ArtifactIdInput,
      async handle(i, ctx) {
        await deps.readModels.ready('artifact', i.minSeq);
        const row = await queries.get(ctx.principal.tenant, i.ns, i.id);
        return row ? { found: true, ...refOfRow(row) } : { found: false };
      },
    }),
    operation<ArtifactDeleteInput, ArtifactDeleteResult>('artifact', 'delete', {
      mutation: true,
      input: ArtifactDeleteInput,
      async handle(i, ctx) {
        const { event } = await deps.runtime.handle(artifactAggregate, artifactAddress(ctx.principal.tenant, i.ns, i.id), { type: 'DeleteArtifact' }, commandMeta(ctx));
        if (!event) return { existed: false };
        if ((event as StoredEvent<ArtifactEvent>).type !== 'artifact.deleted') throw requestIdReused();
        // The bytes stay until the collector's grace period has passed, for readers already streaming them.
        return { existed: true, seq: event.seq };
      },
    }),
    operation<ArtifactListInput, ArtifactListResult>('artifact', 'list', {
      mutation: false,
      input: ArtifactListInput,
      async handle(i, ctx) {
        await deps.readModels.ready('artifact', i.minSeq);
        const limit = i.limit ?? defaultWithinCap(ctx, 'limit', deps.limits.defaultListLimit);
        const rows = await queries.list(ctx.principal.tenant, i.ns, { prefix: i.prefix ?? '', startAfter: i.startAfter ?? '', limit, filter: i.filter ?? {} });
        const items = rows.slice(0, limit);
        return { items: items.map(refOfRow), nextStartAfter: rows.length > limit ? items[items.length - 1].id : null };
      },
    }),
    ...artifactUploadOperations(deps, blobs),
  ];
}
