/**
 * kv latency and throughput through the running service, printed next to raw
 * NATS, JetStream and Postgres baselines measured in the same run on the same machine. Latencies
 * are measured in interleaved rounds (raw, then memsidecar) and the median round is reported.
 */
import { NatsTestClient, RunningService, machineBusySeconds } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { withBenchService } from './setup';
import { medianRound, ms, rate, throughput, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEYS = 1000;
const CLIENTS = 32;
const PER_CLIENT = Number(process.env.BENCH_PER_CLIENT ?? 300);
const PIPELINED = Number(process.env.BENCH_PIPELINED ?? 20000);
const VALUE = { hello: 'world', n: 42, tags: ['a', 'b', 'c'] };

export async function kvBench(): Promise<void> {
  await withBenchService(async ({ nats, pg, service, embedded }) => {
    console.log(
      `memsidecar kv benchmark — nats-server child, read models on ${embedded ? 'PGlite' : 'Postgres'}; ` +
        `${ROUNDS} rounds of ${N} sequential ops over ${KEYS} keys, ${CLIENTS}x${PER_CLIENT} concurrent puts\n`,
    );
    const raw = RawBaselines.create(nats.url, pg.url, N);
    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    const key = (i: number) => `k${Math.abs(i) % KEYS}`;
    // Every key written once first: the figures are steady state, not first writes.
    for (let i = 0; i < KEYS; i++) await client.ok('kv.put', { ns: 'bench', key: key(i), value: VALUE });

    const rounds: Record<string, Summary[]> = {};
    const record = (name: string, s: Summary) => (rounds[name] ??= []).push(s);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, s] of await raw.namedLatencyRound()) record(name, s);
      record('kv.put (1 client)', await timeEach(N, (i) => client.ok('kv.put', { ns: 'bench', key: key(i), value: VALUE })));
      record(
        'kv.put with Mem-Request-Id',
        await timeEach(N, (i) => client.ok('kv.put', { ns: 'bench', key: key(i), value: VALUE }, { requestId: `bench-${r}-${i}-${Math.random()}` })),
      );
      record('kv.get (1 client)', await timeEach(N, (i) => client.ok('kv.get', { ns: 'bench', key: key(i) })));
    }
    const figure = (name: string) => medianRound(rounds[name]);

    const pipelined = await raw.pipelined(PIPELINED);
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => NatsTestClient.connect(nats.url, service.adminToken())));
    const puts = CLIENTS * PER_CLIENT;
    const cpu = (instances: RunningService[]) => ({ service: instances.reduce((sum, x) => sum + x.cpuSeconds(), 0), machine: machineBusySeconds() });
    const perPut = (before: { service: number; machine: number }, after: { service: number; machine: number }) =>
      `service CPU ${((1e6 * (after.service - before.service)) / puts).toFixed(0)} us/put, machine CPU ${((1e6 * (after.machine - before.machine)) / puts).toFixed(0)} us/put`;
    const oneBefore = cpu([service]);
    const putRate = await throughput(CLIENTS, PER_CLIENT, (w, i) => clients[w].ok('kv.put', { ns: 'bench', key: `w${w}/k${i % 100}`, value: VALUE }));
    const oneCost = perPut(oneBefore, cpu([service]));
    // A second instance on the same stream and database (and data dir: the same signing key), serving
    // in the same queue group: the 32 clients' requests are spread over both.
    const second = await RunningService.start({ natsUrl: nats.url, databaseUrl: service.options.databaseUrl, dataDir: service.dataDir, checkout: process.env.BENCH_SERVICE_DIR });
    const twoBefore = cpu([service, second]);
    const twoInstancesRate = await throughput(CLIENTS, PER_CLIENT, (w, i) => clients[w].ok('kv.put', { ns: 'bench', key: `w${w}/k${i % 100}`, value: VALUE }));
    const twoCost = perPut(twoBefore, cpu([service, second]));
    await second.stop();
    await Promise.all([client, ...clients].map((c) => c.close()));

    console.log('latency (median round)                p50           p99');
    for (const name of Object.keys(rounds)) {
      const s = figure(name);
      console.log(`${name.padEnd(36)} ${ms(s.p50).padStart(12)}  ${ms(s.p99).padStart(12)}`);
    }
    console.log(`\nraw JetStream publish (pipelined, window 256): ${rate(pipelined)}`);
    console.log(`kv.put, ${CLIENTS} concurrent clients:              ${rate(putRate)} (${oneCost})`);
    console.log(`kv.put, ${CLIENTS} concurrent clients, 2 instances: ${rate(twoInstancesRate)} (${(twoInstancesRate / putRate).toFixed(2)}x one instance; ${twoCost}, both instances)`);

    const [rr, pub, select, put, get] = [
      figure('raw NATS request/reply'),
      figure('raw JetStream publish (awaited)'),
      figure('raw Postgres point select'),
      figure('kv.put (1 client)'),
      figure('kv.get (1 client)'),
    ];
    const putBudget = 1.5 * (rr.p50 + pub.p50);
    const getBudget = 1.5 * (rr.p50 + select.p50);
    const share = putRate / pipelined;
    const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    console.log('\ntargets');
    console.log(`kv.put p50 ${ms(put.p50)} vs 1.5 x (request/reply + awaited publish) = ${ms(putBudget)}: ratio ${(put.p50 / putBudget).toFixed(2)} ${verdict(put.p50 <= putBudget)}`);
    console.log(`kv.get p50 ${ms(get.p50)} vs 1.5 x (request/reply + point select) = ${ms(getBudget)}: ratio ${(get.p50 / getBudget).toFixed(2)} ${verdict(get.p50 <= getBudget)}`);
    console.log(`kv.put throughput ${rate(putRate)} = ${(share * 100).toFixed(1)}% of raw pipelined publish (target >= 40%) ${verdict(share >= 0.4)}`);
  });
}
