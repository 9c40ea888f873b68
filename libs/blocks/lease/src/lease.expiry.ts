import type { BlockDependencies, BlockWorker } from '@memsidecar/api';
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
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  const sweep = async () => {
    for (const lease of await queries.lapsed(new Date(), BATCH)) {
      if (!running) return;
      const meta = { now: new Date(), tenant: lease.tenant, agent: 'memsidecar' };
      const address = leaseAddress(lease.tenant, lease.ns, lease.key);
      await deps.runtime.handle(leaseAggregate, address, { type: 'ExpireLease', holderId: lease.holder_id }, meta);
    }
  };

  const pause = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, SWEEP_EVERY_MS);
      wake = done;
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
    });

  return {
    name: 'lease-expiry',
    start() {
      running = true;
      loop = (async () => {
        while (running) {
          try {
            await sweep();
          } catch (e) {
            // One bad sweep (database or log briefly away) must not end expiry recording.
            deps.logger.error(`lease expiry: ${(e as Error).message}`);
          }
          if (running) await pause();
        }
      })();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
