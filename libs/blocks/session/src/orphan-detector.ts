import { periodicWorker, type BlockDependencies, type BlockWorker } from '@memsidecar/api';
import { sessionAddress, sessionAggregate } from './session.aggregate';
import { releaseLeasesOf } from './session.operations';
import { SessionQueries } from './session.queries';

const MIN_SLEEP_MS = 20;
const MAX_SLEEP_MS = 100;
const BATCH = 100;

/**
 * Every instance runs one: it wakes at the next heartbeat deadline (at most every 100 ms) and
 * records each overdue session as orphaned. With several instances the expected-sequence append
 * lets exactly one record it; that one releases the session's leases right away (the session lease
 * releaser makes sure of it, should this instance stop in between).
 */
export function orphanDetector(deps: BlockDependencies): BlockWorker {
  const queries = new SessionQueries(deps.db);
  return periodicWorker('session-orphan-detector', deps, async () => {
    for (const { tenant, session_id } of await queries.overdue(deps.clock.now(), BATCH)) {
      const meta = { now: deps.clock.now(), tenant, agent: 'memsidecar' };
      const { event, replayed } = await deps.runtime.handle(sessionAggregate, sessionAddress(tenant, session_id), { type: 'OrphanSession', detectedBy: deps.instanceId }, meta);
      if (!event || replayed) continue;
      const released = await releaseLeasesOf(deps, tenant, session_id, 'session_orphaned', meta, { eventId: event.id, seq: event.seq });
      deps.logger.log(`session ${session_id} of tenant ${tenant} orphaned (${(event.data as { closeReason: string }).closeReason}); released ${released} lease(s)`);
    }
    const next = await queries.nextDeadline();
    return Math.min(MAX_SLEEP_MS, Math.max(MIN_SLEEP_MS, next ? next.getTime() - deps.clock.now().getTime() : MAX_SLEEP_MS));
  });
}
