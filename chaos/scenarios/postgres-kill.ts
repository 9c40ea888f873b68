import { fmtMs, percentile } from '../harness/measure';
import { NatsSetup } from '../harness/nats';
import { PrivatePostgres } from '../harness/postgres';
import { now, sleep } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { mixedRun, recordMixed, scenario, withCleanup } from '../harness/scenario';
import { ServiceProcess } from '../harness/service';

const OUTAGE_MS = 3000;

/**
 * kill -9 of the Postgres postmaster and its backends under load, restarted after 3 s. The service
 * must stay up, answer reads with UNAVAILABLE in under 1 s, go unready within 2 s and ready again
 * after, and have every acknowledged write in the read models once.
 */
export const postgresKill = (): Promise<ScenarioResult> =>
  scenario('postgres-kill', (r) =>
    withCleanup(async (defer) => {
      const pg = await PrivatePostgres.create();
      defer(() => pg.destroy());
      const nats = await NatsSetup.single();
      defer(() => nats.destroy());
      const service = new ServiceProcess({ natsUrl: nats.url, databaseUrl: pg.url });
      defer(() => service.removeDataDir());
      defer(() => service.stop());
      await service.start();

      let aliveThroughOutage = true;
      const run = await mixedRun({
        servers: nats.url,
        services: [service],
        fault: () => pg.kill9(),
        repair: async () => {
          for (let t = 0; t < OUTAGE_MS; t += 100) {
            await sleep(100);
            aliveThroughOutage &&= service.alive;
          }
          await pg.start();
          return pg.startedAt;
        },
      });
      recordMixed(r, run, [service]);
      const { load, readyz, tFault, tRepair } = run;

      // Reads and writes that started while Postgres was down.
      const during = <T extends { t: number; ms: number }>(xs: T[]) => xs.filter((a) => a.t - a.ms >= tFault && a.t - a.ms < tRepair);
      const reads = during(load.reads);
      const failed = reads.filter((a) => a.kind !== 'ok');
      const failedMs = failed.map((a) => a.ms);
      const kinds: Record<string, number> = {};
      for (const a of reads) kinds[a.code ?? a.kind] = (kinds[a.code ?? a.kind] ?? 0) + 1;
      r.lines.push(`reads during the outage: ${JSON.stringify(kinds)}; failed reads answered in p50 ${fmtMs(percentile(failedMs, 50))}, max ${fmtMs(failedMs.length ? Math.max(...failedMs) : NaN)}`);
      const writes = during(load.writeAttempts);
      const wk: Record<string, number> = {};
      for (const a of writes) wk[a.code ?? a.kind] = (wk[a.code ?? a.kind] ?? 0) + 1;
      const refusedMs = writes.filter((a) => a.kind === 'unavailable').map((a) => a.ms);
      r.lines.push(`write attempts during the outage: ${JSON.stringify(wk)} (acked vs refused UNAVAILABLE; UNAVAILABLE answered in p50 ${fmtMs(percentile(refusedMs, 50))})`);

      const unready = readyz.firstAfter(tFault, (s) => s !== 200);
      const ready = readyz.readyAgainAfter(tRepair);
      r.readyz = `${fmtMs(unready)} / ${fmtMs(ready)}`;
      r.lines.push(`/readyz during the outage: ${readyz.describe(tFault, tRepair)}; after: ${readyz.describe(tRepair, now())}`);
      r.lines.push(`service alive through the outage: ${aliveThroughOutage ? 'yes' : 'no'}`);

      if (!aliveThroughOutage) r.failures.push('the service exited while Postgres was down');
      const slowOrWrong = failed.filter((a) => a.kind !== 'unavailable' || a.ms >= 1000);
      if (slowOrWrong.length) r.failures.push(`${slowOrWrong.length} of ${failed.length} failed reads during the outage were not UNAVAILABLE within 1 s`);
      if (unready === null || unready > 2000) r.failures.push(`/readyz not unready within 2 s of the kill (${fmtMs(unready)})`);
      if (ready === null || ready > 5000) r.failures.push(`/readyz not ready within 5 s after Postgres returned (${fmtMs(ready)})`);
      if (run.currentMs === null || run.currentMs > 5000) r.failures.push(`read models not current within 5 s after Postgres returned (${fmtMs(run.currentMs)})`);
    }),
  );
