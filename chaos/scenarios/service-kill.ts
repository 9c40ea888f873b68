import { memctlVerify } from '../harness/memctl';
import { fmtMs } from '../harness/measure';
import { now } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { mixedRun, recordMixed, scenario, withCleanup, infrastructure, startedService } from '../harness/scenario';

/**
 * kill -9 of the service under load, restarted on the same data dir: every acknowledged write is
 * in the read models exactly once, and `memctl verify` finds the read models equal to a replay.
 */
export const serviceKill = (): Promise<ScenarioResult> =>
  scenario('service-kill', (r) =>
    withCleanup(async (defer) => {
      const { db, nats } = await infrastructure(defer);
      const service = await startedService(defer, { natsUrl: nats.url, databaseUrl: db.url });

      let restartMs = 0;
      const run = await mixedRun({
        servers: nats.url,
        services: [service],
        fault: () => service.kill9(),
        repair: async () => {
          const t = now();
          await service.start();
          restartMs = now() - t;
          return now();
        },
      });
      recordMixed(r, run, [service]);
      const { readyz, tRepair } = run;
      r.readyz = `— / ${fmtMs(readyz.readyAgainAfter(tRepair))}`;
      r.lines.push(`restart on the same data dir: ready after ${fmtMs(restartMs)}`);
      const v = await memctlVerify({ natsUrl: nats.url, databaseUrl: db.url, dataDir: service.dataDir });
      r.lines.push(`memctl verify: ${v.available ? `exit ${v.code}: ${v.summary}` : 'not available'}`);
      if (v.available && v.code !== 0) r.failures.push(`memctl verify found the read models differ from the log (exit ${v.code})`);
      if (run.currentMs === null || run.currentMs > 5000) r.failures.push(`read models not current within 5 s after the restart (${fmtMs(run.currentMs)})`);
    }),
  );
