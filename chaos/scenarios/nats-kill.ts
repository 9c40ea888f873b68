import { fmtMs } from '../harness/measure';
import { now, sleep } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { mixedRun, recordMixed, scenario, withCleanup, infrastructure, startedService } from '../harness/scenario';

const OUTAGE_MS = 2000;

/**
 * kill -9 of nats-server under load, restarted on the same port and store after 2 s: how long
 * writes are unavailable, how long until reads with minSeq succeed and /readyz is 200 again.
 */
export const natsKill = (): Promise<ScenarioResult> =>
  scenario('nats-kill', (r) =>
    withCleanup(async (defer) => {
      const { db, nats } = await infrastructure(defer);
      const service = await startedService(defer, { natsUrl: nats.url, databaseUrl: db.url });

      const node = nats.nodes[0];
      const run = await mixedRun({
        servers: nats.url,
        services: [service],
        fault: () => node.kill9(),
        repair: async () => {
          await sleep(OUTAGE_MS);
          await node.start();
          return node.startedAt;
        },
        afterMs: 10_000,
      });
      recordMixed(r, run, [service]);
      const { readyz, tFault, tRepair } = run;
      const unready = readyz.firstAfter(tFault, (s) => s !== 200);
      const ready = readyz.readyAgainAfter(tRepair);
      r.readyz = `${fmtMs(unready)} / ${fmtMs(ready)}`;
      r.lines.push(`nats-server down for ${fmtMs(tRepair - tFault)}; /readyz during: ${readyz.describe(tFault, tRepair)}; after: ${readyz.describe(tRepair, now())}`);
      if (unready === null || unready > 2000) r.failures.push(`/readyz not unready within 2 s of the kill (${fmtMs(unready)})`);
      if (ready === null || ready > 5000) r.failures.push(`/readyz not 200 within 5 s after nats-server returned (${fmtMs(ready)})`);
      // The service cannot apply what the log does not take: the target runs from when writes get through again.
      const catchUpMs = run.currentMs === null || run.writesBackMs === null ? null : run.currentMs - run.writesBackMs;
      r.lines.push(`writes acknowledged again (end of the longest pause) ${fmtMs(run.writesBackMs)} after nats-server returned; read models current ${fmtMs(catchUpMs)} after that`);
      if (catchUpMs === null || catchUpMs > 5000) r.failures.push(`read models not current within 5 s of writes getting through again after nats-server returned (${fmtMs(catchUpMs)})`);
    }),
  );
