/**
 * `npm run bench`: kv latency and throughput through the running service, printed next to raw
 * NATS, JetStream and Postgres baselines measured in the same run on the same machine.
 */
import { NatsTestClient, RunningService, createTestDatabase, startTestNats } from '@memsidecar/testing';
import { measureBaselines } from './baselines';
import { ms, rate, throughput, timeEach } from './stats';

const N = Number(process.env.BENCH_N ?? 3000);
const CLIENTS = 32;
const PER_CLIENT = Number(process.env.BENCH_PER_CLIENT ?? 300);
const PIPELINED = Number(process.env.BENCH_PIPELINED ?? 20000);
const VALUE = { hello: 'world', n: 42, tags: ['a', 'b', 'c'] };

async function main(): Promise<void> {
  const nats = await startTestNats();
  const pg = await createTestDatabase();
  const embedded = process.env.BENCH_DATABASE === 'pglite';
  const service = await RunningService.start({ natsUrl: nats.url, databaseUrl: embedded ? undefined : pg.url });
  try {
    console.log(`memsidecar kv benchmark — nats-server child, read models on ${embedded ? 'PGlite' : 'Postgres'}; ${N} sequential ops, ${CLIENTS}x${PER_CLIENT} concurrent puts\n`);
    const raw = await measureBaselines(nats.url, pg.url, N, PIPELINED);

    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    const put = await timeEach(N, (i) => client.ok('kv.put', { ns: 'bench', key: `k${Math.abs(i) % 1000}`, value: VALUE }));
    const putWithId = await timeEach(N, (i) =>
      client.ok('kv.put', { ns: 'bench', key: `k${Math.abs(i) % 1000}`, value: VALUE }, { requestId: `bench-${i}-${Math.random()}` }),
    );
    const get = await timeEach(N, (i) => client.ok('kv.get', { ns: 'bench', key: `k${Math.abs(i) % 1000}` }));
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => NatsTestClient.connect(nats.url, service.adminToken())));
    const putRate = await throughput(CLIENTS, PER_CLIENT, (w, i) => clients[w].ok('kv.put', { ns: 'bench', key: `w${w}/k${i % 100}`, value: VALUE }));
    await Promise.all([client, ...clients].map((c) => c.close()));

    const rows: [string, string, string][] = [
      ['raw NATS request/reply', ms(raw.requestReply.p50), ms(raw.requestReply.p99)],
      ['raw JetStream publish (awaited)', ms(raw.publishAwaited.p50), ms(raw.publishAwaited.p99)],
      ['raw Postgres upsert', ms(raw.pgUpsert.p50), ms(raw.pgUpsert.p99)],
      ['raw Postgres point select', ms(raw.pgPointSelect.p50), ms(raw.pgPointSelect.p99)],
      ['kv.put (1 client)', ms(put.p50), ms(put.p99)],
      ['kv.put with Mem-Request-Id', ms(putWithId.p50), ms(putWithId.p99)],
      ['kv.get (1 client)', ms(get.p50), ms(get.p99)],
    ];
    console.log('latency                              p50           p99');
    for (const [name, p50, p99] of rows) console.log(`${name.padEnd(36)} ${p50.padStart(12)}  ${p99.padStart(12)}`);
    console.log(`\nraw JetStream publish (pipelined, window 256): ${rate(raw.publishPipelined)}`);
    console.log(`kv.put, ${CLIENTS} concurrent clients:              ${rate(putRate)}`);

    const putBudget = 1.5 * (raw.requestReply.p50 + raw.publishAwaited.p50);
    const getBudget = 1.5 * (raw.requestReply.p50 + raw.pgPointSelect.p50);
    const share = putRate / raw.publishPipelined;
    console.log('\ntargets');
    console.log(`kv.put p50 ${ms(put.p50)} vs 1.5 x (request/reply + awaited publish) = ${ms(putBudget)}: ratio ${(put.p50 / putBudget).toFixed(2)} ${put.p50 <= putBudget ? 'MET' : 'MISSED'}`);
    console.log(`kv.get p50 ${ms(get.p50)} vs 1.5 x (request/reply + point select) = ${ms(getBudget)}: ratio ${(get.p50 / getBudget).toFixed(2)} ${get.p50 <= getBudget ? 'MET' : 'MISSED'}`);
    console.log(`kv.put throughput ${rate(putRate)} = ${(share * 100).toFixed(1)}% of raw pipelined publish (target >= 40%) ${share >= 0.4 ? 'MET' : 'MISSED'}`);
  } finally {
    await service.stop();
    await pg.drop();
    await nats.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
