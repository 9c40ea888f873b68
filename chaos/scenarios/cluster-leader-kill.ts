import { fmtMs } from '../harness/measure';
import { NatsSetup } from '../harness/nats';
import { sharedDatabase } from '../harness/postgres';
import { until } from '../harness/procs';
import type { ScenarioResult } from '../harness/report';
import { mixedRun, recordMixed, scenario, withCleanup } from '../harness/scenario';
import { ServiceProcess } from '../harness/service';

/**
 * A 3-node JetStream cluster, the stream with 3 replicas; kill -9 the stream leader under load.
 * Writes may pause for the election; read models must be current within 5 s of the loss.
 */
export const clusterLeaderKill = (): Promise<ScenarioResult> =>
  scenario('cluster-leader-kill', (r) =>
    withCleanup(async (defer) => {
      const db = await sharedDatabase();
      defer(() => db.drop());
      const nats = await NatsSetup.cluster(3);
      defer(() => nats.destroy());
      const service = new ServiceProcess({ natsUrl: nats.url, databaseUrl: db.url, env: { MEMSIDECAR_STREAM_REPLICAS: '3' } });
      defer(() => service.removeDataDir());
      defer(() => service.stop());
      await service.start();

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
      if (run.currentMs === null || run.currentMs > 5000) r.failures.push(`read models not current within 5 s after the leader was lost (${fmtMs(run.currentMs)})`);
      if (ready === null || ready > 5000) r.failures.push(`/readyz not 200 within 5 s after the leader was lost (${fmtMs(ready)})`);
    }),
  );
