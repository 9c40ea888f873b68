import { periodicWorker, type BlockDependencies, type BlockWorker } from '@memsidecar/api';
import { leaseAddress, leaseAggregate } from './lease.aggregate';
import { LeaseQueries } from './lease.queries';

const SWEEP_EVERY_MS = 1_000;
const BATCH = 500;

/**
 * Records lapsed leases in the log as `lease.expired`. Every instance runs one; the
 * expected-sequence append lets exactly one record each lapse, and the decider ignores a lease
 * that was renewed, released or taken over since the read model saw it.
 */
export function leaseExpiryWorker(deps: BlockDependencies): BlockWorker {
  const queries = new LeaseQueries(deps.db);
  return periodicWorker('lease-expiry', deps, async () => {
    for (const lease of await queries.lapsed(deps.clock.now(), BATCH)) {
      const meta = { now: deps.clock.now(), tenant: lease.tenant, agent: 'memsidecar' };
      await deps.runtime.handle(leaseAggregate, leaseAddress(lease.tenant, lease.ns, lease.key), { type: 'ExpireLease', holderId: lease.holder_id }, meta);
    }
    return SWEEP_EVERY_MS;
  });
}
