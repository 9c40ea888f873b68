import { fmtMs } from '../harness/measure';
import { until } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { mixedRun, recordMixed, scenario, withCleanup, infrastructure, startedService } from '../harness/scenario';

/**
 * A 3-node JetStream cluster, the stream with 3 replicas; kill -9 the stream leader under load.
 * Writes may pause for the election; read models must be current within 5 s of the loss.
 */
export const clusterLeaderKill = (): Promise<ScenarioResult> =>
  scenario('cluster-leader-kill', (r) =>
    withCleanup(async (defer) => {
      const { db, nats } = await infrastructure(defer, 3);
      const service = await startedService(defer, { natsUrl: nats.url, databaseUrl: db.url, env: { MEMSIDECAR_STREAM_REPLICAS: '3' } });

      let leader: string | undefined;
      if (!(await until(async () => !!(leader = await nats.streamLeader()), 20_000, 250))) throw new Error('the stream has no leader');
      let newLeader: string | undefined;
      const run = await mixedRun({
        servers: nats.url,
        services: [service],
        fault: async () => {
          leader = await nats.streamLeader();
          await nats.node(leader!).kill9();
        },
        afterMs: 10_000,
      });
      await until(async () => !!(newLeader = await nats.streamLeader()), 10_000, 250);
      recordMixed(r, run, [service]);
      const { readyz, tFault } = run;
      const unready = readyz.firstAfter(tFault, (s) => s !== 200);
      const ready = readyz.readyAgainAfter(tFault);
      r.readyz = `${fmtMs(unready)} / ${fmtMs(ready)}`;
      r.lines.push(`stream leader ${leader} killed; new leader ${newLeader ?? 'none'}; /readyz after: ${readyz.describe(tFault, tFault + 60_000)}`);
      // The service cannot apply what the log does not take: the target runs from when writes get through again.
      const catchUpMs = run.currentMs === null || run.writesBackMs === null ? null : run.currentMs - run.writesBackMs;
      r.lines.push(`writes acknowledged again (end of the longest pause) ${fmtMs(run.writesBackMs)} after the leader was lost; read models current ${fmtMs(catchUpMs)} after that`);
      if (catchUpMs === null || catchUpMs > 5000) r.failures.push(`read models not current within 5 s of writes getting through again after the leader was lost (${fmtMs(catchUpMs)})`);
      if (ready === null || ready - (run.writesBackMs ?? 0) > 5000) r.failures.push(`/readyz not 200 within 5 s of writes getting through again (${fmtMs(ready)} after the loss)`);
    }),
  );
