import { fmtMs } from '../harness/measure';
import { NatsSetup } from '../harness/nats';
import { sharedDatabase } from '../harness/postgres';
import { now } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { mixedRun, recordMixed, scenario, withCleanup } from '../harness/scenario';
import { ServiceProcess } from '../harness/service';

/** The service's default shutdownTimeoutMs. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

/** SIGTERM under load: exit 0 within the shutdown timeout; after a restart every acknowledged write is there once. */
export const sigterm = (): Promise<ScenarioResult> =>
  scenario('sigterm', (r) =>
    withCleanup(async (defer) => {
      const db = await sharedDatabase();
      defer(() => db.drop());
      const nats = await NatsSetup.single();
      defer(() => nats.destroy());
      const service = new ServiceProcess({ natsUrl: nats.url, databaseUrl: db.url });
      defer(() => service.removeDataDir());
      defer(() => service.stop());
      await service.start();

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
