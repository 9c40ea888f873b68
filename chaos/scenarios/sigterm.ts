import { fmtMs } from '../harness/measure';
import { now } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { mixedRun, recordMixed, scenario, withCleanup, infrastructure, startedService } from '../harness/scenario';

/** The service's default shutdownTimeoutMs. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

/** SIGTERM under load: exit 0 within the shutdown timeout; after a restart every acknowledged write is there once. */
export const sigterm = (): Promise<ScenarioResult> =>
  scenario('sigterm', (r) =>
    withCleanup(async (defer) => {
      const { db, nats } = await infrastructure(defer);
      const service = await startedService(defer, { natsUrl: nats.url, databaseUrl: db.url });

      let exit: { code: number | null; signal: string | null; ms: number } | null = null;
      const run = await mixedRun({
        servers: nats.url,
        services: [service],
        fault: async () => {
          exit = await service.sigterm(SHUTDOWN_TIMEOUT_MS + 15_000);
        },
        repair: async () => {
          await service.start();
          return now();
        },
      });
      recordMixed(r, run, [service]);
      r.readyz = `— / ${fmtMs(run.readyz.readyAgainAfter(run.tRepair))}`;
      const e = exit as { code: number | null; signal: string | null; ms: number } | null;
      r.lines.push(`SIGTERM: exit code ${e?.code} signal ${e?.signal} after ${fmtMs(e?.ms)} (shutdown timeout ${fmtMs(SHUTDOWN_TIMEOUT_MS)})`);
      if (!e || e.code !== 0) r.failures.push(`the service did not exit 0 on SIGTERM (code ${e?.code}, signal ${e?.signal})`);
      else if (e.ms > SHUTDOWN_TIMEOUT_MS) r.failures.push(`the service took ${fmtMs(e.ms)} to stop, more than the shutdown timeout`);
    }),
  );
