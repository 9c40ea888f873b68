/**
 * `npm run bench -- peers`: memsidecar next to LangGraph.js's own Postgres persistence, in one run
 * on one Postgres server (a fresh database per system): `PostgresStore` and `PostgresSaver` beside
 * kv and semantic through the TypeScript client and the `MemsidecarStore` / `MemsidecarSaver`
 * adapters, with the raw NATS, JetStream and Postgres baselines. Sequential latencies come from
 * interleaved rounds (the median round is reported); throughput from 32 concurrent callers.
 */
import { Pool, type PoolConfig } from 'pg';
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { PostgresStore } from '@langchain/langgraph-checkpoint-postgres/store';
import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarSaver, MemsidecarStore } from '@memsidecar/langgraph';
import { createTestDatabase } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { Thread } from './langgraph';
import { withBenchService } from './setup';
import { medianRound, ms, rate, throughputFor, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLERS = 32;
/** How long each operation's concurrent callers run. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** Callers read keys this far apart, so that they do not all read the same ones. */
const SPREAD = 50;
const PIPELINED = Number(process.env.BENCH_PIPELINED ?? 20000);
const KEYS = 1000;
const EMBEDDER = process.env.MEMSIDECAR_EMBEDDER ?? 'hashing';
const USERS = ['bench', 'users'];
const KV_NS = 'bench-kv';
const SEMANTIC_NS = 'bench-semantic';

const key = (i: number) => `k${Math.abs(i) % KEYS}`;
const item = (i: number) => ({ text: `note ${Math.abs(i)}: the user asked about topic ${Math.abs(i) % 10} and prefers short answers`, group: `g${Math.abs(i) % 10}`, n: Math.abs(i) });
const query = (i: number) => `topic ${Math.abs(i) % 10}`;
const filter = (i: number) => ({ group: `g${Math.abs(i) % 10}` });

/** One operation as a sequential caller runs it, and, where it has one, as 32 concurrent callers do. */
interface Operation {
  name: string;
  once: (i: number) => Promise<unknown>;
  concurrent?: (caller: number, i: number) => Promise<unknown>;
}

/** Put then getTuple of a checkpointer: a new thread per round, one thread per concurrent caller. */
function checkpointOperations(name: string, saver: BaseCheckpointSaver, round: number): Operation[] {
  const thread = new Thread(saver, `${name}-${round}`);
  const callers = Array.from({ length: CALLERS }, (_, c) => new Thread(saver, `${name}-caller-${c}`));
  const latest = (threadId: string) => saver.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
  return [
    { name: `${name}.put`, once: () => thread.put(), concurrent: (c) => callers[c].put() },
    { name: `${name}.getTuple (latest)`, once: () => latest(`${name}-${round}`), concurrent: (c) => latest(`${name}-caller-${c}`) },
  ];
}

const storeOperations = (name: string, store: PostgresStore | MemsidecarStore): Operation[] => [
  { name: `${name}.put`, once: (i) => store.put(USERS, key(i), item(i)), concurrent: (c, i) => store.put(['bench', `caller${c}`], key(i), item(i)) },
  { name: `${name}.get`, once: (i) => store.get(USERS, key(i)), concurrent: (c, i) => store.get(USERS, key(c * SPREAD + i)) },
  { name: `${name}.search (filter)`, once: (i) => store.search(USERS, { filter: filter(i), limit: 10 }), concurrent: (c, i) => store.search(USERS, { filter: filter(c + i), limit: 10 }) },
];

const pool = (url: string): PoolConfig => ({ connectionString: url, max: CALLERS, idleTimeoutMillis: 1000 });

export async function peersBench(): Promise<void> {
  await withBenchService(
    async ({ nats, pg, service, embedded }) => {
      const peerDb = await createTestDatabase();
      const postgresStore = new PostgresStore({ connectionOptions: pool(peerDb.url), ensureTables: true });
      const postgresSaver = new PostgresSaver(new Pool(pool(peerDb.url)));
      const client = await MemoryClient.connect({ natsUrl: nats.url, token: service.adminToken(), logger: { warn: () => undefined } });
      try {
        await postgresStore.setup();
        await postgresSaver.setup();
        const memsidecarStore = new MemsidecarStore({ client, ns: 'bench-store' });
        const indexedStore = new MemsidecarStore({ client, ns: 'bench-store-indexed', index: { fields: ['text'] } });
        const memsidecarSaver = new MemsidecarSaver(client, { namespace: 'bench-saver' });
        console.log(
          `memsidecar next to LangGraph.js PostgresStore / PostgresSaver — one Postgres server, a fresh database each; service read models on ${embedded ? 'PGlite' : 'Postgres'}, ` +
            `embedder ${EMBEDDER}\n${ROUNDS} interleaved rounds of ${N} sequential ops over ${KEYS} items; ${CALLERS} concurrent callers for ${SECONDS} s per operation ` +
            `(one MemoryClient shared by the memsidecar callers; pg pools of ${CALLERS} connections for the LangGraph ones)\n`,
        );

        // Every item written once first: the figures are steady state, not first writes.
        for (let i = 0; i < KEYS; i++) {
          await Promise.all([
            postgresStore.put(USERS, key(i), item(i)),
            memsidecarStore.put(USERS, key(i), item(i)),
            indexedStore.put(USERS, key(i), item(i)),
            client.kv.put({ ns: KV_NS, key: key(i), value: item(i) }),
          ]);
        }
        for (let i = 0; i < KEYS; i += 100) {
          await client.semantic.upsert({ ns: SEMANTIC_NS, records: Array.from({ length: 100 }, (_, j) => ({ id: key(i + j), content: item(i + j).text, metadata: { group: item(i + j).group } })) });
        }

        const operations = (round: number): Operation[] => [
          ...storeOperations('PostgresStore', postgresStore),
          // Without an index the query is Postgres full-text search: vectors need pgvector and an embedder.
          {
            name: 'PostgresStore.search (query, full-text)',
            once: (i) => postgresStore.search(USERS, { query: query(i), limit: 10 }),
            concurrent: (c, i) => postgresStore.search(USERS, { query: query(c + i), limit: 10 }),
          },
          ...checkpointOperations('PostgresSaver', postgresSaver, round),
          {
            name: 'kv.put',
            once: (i) => client.kv.put({ ns: KV_NS, key: key(i), value: item(i) }),
            concurrent: (c, i) => client.kv.put({ ns: KV_NS, key: `caller${c}/${key(i)}`, value: item(i) }),
          },
          { name: 'kv.get', once: (i) => client.kv.get({ ns: KV_NS, key: key(i) }), concurrent: (c, i) => client.kv.get({ ns: KV_NS, key: key(c * SPREAD + i) }) },
          { name: 'semantic.search', once: (i) => client.semantic.search({ ns: SEMANTIC_NS, queryText: query(i), topK: 10 }), concurrent: (c, i) => client.semantic.search({ ns: SEMANTIC_NS, queryText: query(c + i), topK: 10 }) },
          ...storeOperations('MemsidecarStore', memsidecarStore),
          {
            name: 'MemsidecarStore.search (query, indexed)',
            once: (i) => indexedStore.search(USERS, { query: query(i), limit: 10 }),
            concurrent: (c, i) => indexedStore.search(USERS, { query: query(c + i), limit: 10 }),
          },
          ...checkpointOperations('MemsidecarSaver', memsidecarSaver, round),
        ];

        const raw = RawBaselines.create(nats.url, pg.url, N);
        const rounds: Record<string, Summary[]> = {};
        const record = (name: string, s: Summary) => (rounds[name] ??= []).push(s);
        for (let r = 0; r < ROUNDS; r++) {
          for (const [name, s] of await raw.namedLatencyRound()) record(name, s);
          for (const op of operations(r)) record(op.name, await timeEach(N, op.once, Math.min(50, N)));
        }

        const pipelined = await raw.pipelined(PIPELINED);
        const rates: Record<string, number> = {};
        for (const op of operations(ROUNDS)) if (op.concurrent) rates[op.name] = await throughputFor(CALLERS, SECONDS, op.concurrent);

        const row = (name: string, p50: string, p99: string, concurrent: string) => console.log(`${name.padEnd(46)} ${p50.padStart(12)} ${p99.padStart(12)}   ${concurrent.padStart(14)}`);
        row('operation', 'p50', 'p99', `${CALLERS} callers`);
        for (const [name, samples] of Object.entries(rounds)) {
          const s = medianRound(samples);
          row(name, ms(s.p50), ms(s.p99), rates[name] === undefined ? '—' : rate(rates[name]));
          if (name === 'raw JetStream publish (awaited)') row('raw JetStream publish (pipelined, window 256)', '—', '—', rate(pipelined));
        }

        const p50 = (name: string) => medianRound(rounds[name]).p50;
        const rawPut = p50('raw NATS request/reply') + p50('raw JetStream publish (awaited)');
        const ratio = (label: string, value: number, unit = 'x') => console.log(`${label.padEnd(80)} ${value.toFixed(2)}${unit}`);
        console.log('\nratios');
        ratio(`kv.put ${CALLERS}-caller throughput / PostgresStore.put ${CALLERS}-caller throughput`, rates['kv.put'] / rates['PostgresStore.put']);
        ratio('kv.get p50 / PostgresStore.get p50', p50('kv.get') / p50('PostgresStore.get'));
        ratio(`kv.put p50 / (raw request/reply + awaited publish = ${ms(rawPut)})`, p50('kv.put') / rawPut);
        ratio(`MemsidecarStore.put ${CALLERS}-caller throughput / PostgresStore.put's`, rates['MemsidecarStore.put'] / rates['PostgresStore.put']);
        ratio('MemsidecarStore.get p50 / PostgresStore.get p50', p50('MemsidecarStore.get') / p50('PostgresStore.get'));
        ratio('MemsidecarSaver.put p50 / PostgresSaver.put p50', p50('MemsidecarSaver.put') / p50('PostgresSaver.put'));
        ratio('MemsidecarSaver.getTuple (latest) p50 / PostgresSaver.getTuple (latest) p50', p50('MemsidecarSaver.getTuple (latest)') / p50('PostgresSaver.getTuple (latest)'));
        console.log(
          '\nPostgresStore.search (query) runs as Postgres full-text search: its vector search needs an embedder and pgvector, which this Postgres server lacks. ' +
            `MemsidecarStore.search (query) and semantic.search rank by cosine similarity with the service's ${EMBEDDER} embedder.`,
        );
      } finally {
        await client.shutdown();
        await postgresStore.stop();
        await postgresSaver.end();
        await peerDb.drop();
      }
    },
    { MEMSIDECAR_EMBEDDER: EMBEDDER },
  );
}
