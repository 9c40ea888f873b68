import type { CommandMeta } from '@memsidecar/core';
import type { BlockDependencies } from '@memsidecar/api';
import { leaseAddress, leaseAggregate } from './lease.aggregate';
import { LeaseQueries } from './lease.queries';

/**
 * Releases every live lease a session acquired, recording why (`session_closed` or
 * `session_orphaned`); returns how many were released. Called by the session block.
 */
export async function releaseSessionLeases(
  deps: BlockDependencies,
  tenant: string,
  sessionId: string,
  reason: 'session_closed' | 'session_orphaned',
  meta: CommandMeta,
): Promise<number> {
  await deps.readModels.ready('lease');
  const held = await new LeaseQueries(deps.db).heldBySession(tenant, sessionId);
  // One request id cannot stand for several appends: each release is its own change.
  const releaseMeta: CommandMeta = { ...meta, tenant, requestId: undefined };
  let released = 0;
  for (const lease of held) {
    const { event } = await deps.runtime.handle(
      leaseAggregate,
      leaseAddress(tenant, lease.ns, lease.key),
      { type: 'ReleaseLease', holderId: lease.holder_id, reason },
      releaseMeta,
    );
    if (event) released++;
  }
  return released;
}
