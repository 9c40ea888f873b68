import { periodicWorker, type BlockDependencies, type BlockWorker } from '@memsidecar/api';
import { blockEventsFilter } from '@memsidecar/core';
import { uploadAddress, uploadAggregate } from './artifact.aggregate';
import { ArtifactQueries } from './artifact.queries';
import { stagedUpload } from './artifact.blobs';
import { artifactContext } from './artifact.settings';
import type { BlobStore } from './blob-store';
import { discardParts, loadUpload } from './artifact-upload.operations';

const BATCH = 500;

/**
 * Records abandoned uploads in the log as `artifact.upload_expired` and removes their staged parts.
 * Every instance runs one; the expected-sequence append lets exactly one record each expiry, and
 * the decider ignores an upload that was appended to or committed since the read model saw it.
 */
export function uploadExpiryWorker(deps: BlockDependencies): BlockWorker {
  const { settings, blobs } = artifactContext(deps);
  const queries = new ArtifactQueries(deps.db);
  const every = Math.max(200, Math.min(30_000, Math.floor(settings.uploadTtlMs / 4)));
  return periodicWorker('artifact-upload-expiry', deps, async () => {
    for (const u of await queries.lapsedUploads(deps.clock.now(), BATCH)) {
      const meta = { now: deps.clock.now(), tenant: u.tenant, agent: 'memsidecar' };
      const { event } = await deps.runtime.handle(uploadAggregate, uploadAddress(u.tenant, u.ns, u.uuid), { type: 'ExpireUpload' }, meta);
      if (!event) continue;
      const state = await loadUpload(deps, u.tenant, u.ns, u.uuid);
      if (state.status === 'expired') await discardParts(await blobs(), u.tenant, u.ns, state.parts);
    }
    return every;
  });
}

/**
 * Removes blobs nothing needs any more, once older than the grace period: bytes whose event never
 * landed (a crash between writing and appending), versions replaced or deleted (kept a grace period
 * after their release for readers still streaming them), staged parts of uploads no longer open,
 * and pieces of writes that never finished. Every instance runs one; deleting twice is harmless.
 */
export function blobCollector(deps: BlockDependencies): BlockWorker {
  const { settings, blobs } = artifactContext(deps);
  const queries = new ArtifactQueries(deps.db);
  return periodicWorker('artifact-blob-collector', deps, async () => {
    await collectGarbage(deps, queries, new Date(deps.clock.now().getTime() - settings.gcGraceMs), await blobs());
    return settings.gcIntervalMs;
  });
}

/** One round; returns how many blobs it removed. */
export async function collectGarbage(deps: BlockDependencies, queries: ArtifactQueries, cutoff: Date, store: BlobStore): Promise<number> {
  // Any blob older than the grace period had its event (if any) appended before now: read up to the log's end first.
  const end = await deps.store.lastSeq(blockEventsFilter(deps.store.prefix, 'artifact'));
  await deps.readModels.ready('artifact', end, 60_000);
  let removed = 0;
  for await (const blob of store.list()) {
    if (blob.modified >= cutoff) continue;
    const { tenant, ns, name } = blob.key;
    const upload = stagedUpload(name);
    const keep = upload ? (await queries.uploadStatus(tenant, ns, upload)) === 'open' : await queries.isBlobInUse(tenant, ns, name, cutoff);
    if (!keep && (await store.delete(blob.key))) removed++;
  }
  removed += await store.sweepUnfinished(cutoff);
  return removed;
}
