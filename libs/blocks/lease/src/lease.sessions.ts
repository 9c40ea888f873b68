import { encodeToken, type CommandMeta } from '@memsidecar/core';
import type { BlockDependencies } from '@memsidecar/api';
import { leaseAddress, leaseAggregate } from './lease.aggregate';
import { LeaseQueries, type LeaseRef } from './lease.queries';

/** The event that ended a session (`session.closed` or `session.orphaned`), as stored in the log. */
export interface SessionEnd {
  /** The event's id: every release it causes derives its request id from it. */
  eventId: string;
  seq: number;
}

/**
 * The request id of the release of one lease caused by one session end: distinct per lease (one
 * request id stands for one append), the same however often and by whichever instance it is redone.
 * Encoded key parts never hold `:`, so no two leases share one.
 */
export const sessionEndReleaseRequestId = (end: SessionEnd, ns: string, key: string): string => `${end.eventId}:${encodeToken(ns)}:${encodeToken(key)}`;

/** Leases held by a session whose newest event precedes `beforeSeq`, in key order. */
const HELD_BEFORE = `SELECT tenant, ns, key, holder_id FROM lease_entries
  WHERE tenant = $1 AND session_id = $2 AND status = 'held' AND seq < $3 ORDER BY ns, key`;

/**
 * Releases every live lease a session acquired, recording why (`session_closed` or
 * `session_orphaned`); returns how many were released. Called by the session block.
 *
 * With `end` (the event that ended the session), exactly the leases held when it was appended are
 * released — not those of a later session opened again under the same id — each with its own
 * request id derived from the event, so doing it again (a retry, another instance, a redo after a
 * crash) releases nothing twice and counts the same leases.
 */
export async function releaseSessionLeases(
  deps: BlockDependencies,
  tenant: string,
  sessionId: string,
  reason: 'session_closed' | 'session_orphaned',
  meta: CommandMeta,
  end?: SessionEnd,
): Promise<number> {
  let held: LeaseRef[];
  if (end) {
    // The acquisitions precede the end event in the log: the read model must hold them.
    await deps.readModels.ready('lease', end.seq);
    held = await deps.db.prepared<LeaseRef>(HELD_BEFORE, [tenant, sessionId, end.seq]);
  } else {
    await deps.readModels.ready('lease');
    held = await new LeaseQueries(deps.db).heldBySession(tenant, sessionId);
  }
  let released = 0;
  for (const lease of held) {
    // Without an end event: one request id cannot stand for several appends, each release is its own change.
    const releaseMeta: CommandMeta = { ...meta, tenant, requestId: end ? sessionEndReleaseRequestId(end, lease.ns, lease.key) : undefined };
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
