import { provenanceOf, requestIdReused, aggregateSubject } from '@memsidecar/core';
import { commandMeta, type BlockDependencies, type RequestContext } from '@memsidecar/api';
import type { StoreArtifact } from './artifact.decider';
import type { ArtifactStoredData } from './artifact.events';
import { artifactAddress, artifactAggregate } from './artifact.aggregate';
import { refOfVersion } from './artifact.blobs';
import type { ArtifactRef } from './artifact.replies';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * Points artifact `id` at a blob already written; returns the ref, also for a retried request.
 * `requestId` is explicit: after an upload's commit event took the request's id, the artifact's own
 * event must carry none, or the log would deduplicate it against the commit.
 */
export async function storeArtifact(
  deps: BlockDependencies,
  ctx: RequestContext,
  ns: string,
  command: StoreArtifact,
  requestId: string | undefined,
): Promise<{ ref: ArtifactRef; blob: string }> {
  const address = artifactAddress(ctx.principal.tenant, ns, command.id);
  const { event } = await deps.runtime.handle(artifactAggregate, address, command, { ...commandMeta(ctx), requestId });
  // No event: the same blob is already stored (a retried commit); its event is the newest one.
  const stored = event ?? (await deps.store.last(aggregateSubject(deps.store.prefix, { block: 'artifact', ...address })));
  if (!stored || stored.erased || stored.type !== 'artifact.stored') throw requestIdReused();
  const d = stored.data as ArtifactStoredData;
  return { ref: refOfVersion(d, provenanceOf(stored)), blob: d.blob };
}

