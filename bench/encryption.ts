/**
 * What sealing payloads costs a request: kv.put and kv.get p50/p99 through two services on one
 * nats-server, one sealing payloads (the default) and one writing them clear (`MEMSIDECAR_ENCRYPTION=off`,
 * its own stream, subjects and database), measured in interleaved rounds in the same run. The
 * rebuild's cost is in `npm run bench -- rebuild`, which rebuilds a clear and a sealed log.
 */
import { NatsTestClient, RunningService, createTestDatabase, startTestNats } from '@memsidecar/testing';
import { medianRound, ms, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEYS = 1000;
const VALUE = { hello: 'world', n: 42, tags: ['a', 'b', 'c'], note: 'x'.repeat(200) };

export async function encryptionBench(): Promise<void> {
  const nats = await startTestNats();
  const [sealedDb, clearDb] = [await createTestDatabase(), await createTestDatabase()];
  const sealed = await RunningService.start({ natsUrl: nats.url, databaseUrl: sealedDb.url });
  const clear = await RunningService.start({
    natsUrl: nats.url,
    databaseUrl: clearDb.url,
    env: { MEMSIDECAR_ENCRYPTION: 'off', MEMSIDECAR_SUBJECT_PREFIX: 'clear', MEMSIDECAR_STREAM: 'CLEAR', MEMSIDECAR_QUEUE_GROUP: 'clear' },
  });
  const clients = { sealed: await NatsTestClient.connect(nats.url, sealed.adminToken()), clear: await NatsTestClient.connect(nats.url, clear.adminToken(), 'clear') };
  try {
    console.log(`memsidecar encryption benchmark — sealed and clear services on one nats-server, read models on Postgres; ${ROUNDS} rounds of ${N} sequential ops over ${KEYS} keys\n`);
    const key = (i: number) => `k${i % KEYS}`;
    for (const c of Object.values(clients)) for (let i = 0; i < KEYS; i++) await c.ok('kv.put', { ns: 'bench', key: key(i), value: VALUE });

    const rounds: Record<string, Summary[]> = {};
    const record = (name: string, s: Summary) => (rounds[name] ??= []).push(s);
    for (let r = 0; r < ROUNDS; r++) {
      for (const [path, c] of Object.entries(clients)) {
        record(`kv.put, ${path}`, await timeEach(N, (i) => c.ok('kv.put', { ns: 'bench', key: key(i), value: VALUE })));
        record(`kv.get, ${path}`, await timeEach(N, (i) => c.ok('kv.get', { ns: 'bench', key: key(i) })));
      }
    }
    console.log('latency (median round)                p50           p99');
    for (const name of Object.keys(rounds)) {
      const s = medianRound(rounds[name]);
      console.log(`${name.padEnd(36)} ${ms(s.p50).padStart(12)}  ${ms(s.p99).padStart(12)}`);
    }
    const ratio = (op: string) => (medianRound(rounds[`${op}, sealed`]).p50 / medianRound(rounds[`${op}, clear`]).p50).toFixed(2);
    console.log(`\nsealed / clear p50: kv.put ${ratio('kv.put')}x, kv.get ${ratio('kv.get')}x`);
  } finally {
    await Promise.all(Object.values(clients).map((c) => c.close()));
    await clear.stop();
    await sealed.stop();
    await Promise.all([sealedDb.drop(), clearDb.drop()]);
    await nats.stop();
  }
}
