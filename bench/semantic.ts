/**
 * Semantic search latency at 10^4 and 10^5 records on both index paths (pgvector HNSW in PGlite,
 * exact scan in the system Postgres), recall@10 of HNSW against exact, upsert throughput through
 * the service with the default embedder and with precomputed vectors, and embedder quality.
 */
import { Client } from 'pg';
import { Database, BOOKKEEPING_MIGRATIONS, ProjectionCheckpoint, AppliedRequest } from '@memsidecar/projections';
import { HashingEmbedder, SemanticRecord, SemanticRecords1763769600500, SemanticSearch, UseLiteEmbedder, encodeVector, normalize, type Embedder } from '@memsidecar/semantic';
import { NatsTestClient, createTestDatabase } from '@memsidecar/testing';
import { PARAPHRASES } from './data/paraphrases';
import { withBenchService } from './setup';
import { ms, rate, timeEach, type Summary } from './stats';

const DIM = 384;
const SIZES = (process.env.BENCH_SEMANTIC_SIZES ?? '10000,100000').split(',').map(Number);
const QUERIES = Number(process.env.BENCH_SEMANTIC_QUERIES ?? 100);

const CLUSTERS = 200;

/** Seeded pseudo-random numbers in [-1, 1): the same data on both paths. */
function noise(seed: number): number[] {
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  return Array.from({ length: DIM }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) * 2 - 1;
  });
}

/**
 * Unit vectors around 200 topics, as sentence embeddings cluster by subject (uniform random vectors
 * in 384 dimensions have no near neighbours at all, which no approximate index is built for).
 */
function vectorFor(seed: number): number[] {
  const center = noise(1_000_000_000 + (seed % CLUSTERS));
  const spread = noise(seed);
  return normalize(center.map((c, i) => c + 0.35 * spread[i]));
}

async function seed(db: Database, size: number): Promise<void> {
  await db.query(`TRUNCATE semantic_records`);
  await db.query(`DROP INDEX IF EXISTS semantic_records_hnsw_${DIM}`);
  await db.query(`INSERT INTO semantic_namespaces (tenant, ns, embedder, dimension) VALUES ('t', 'bench', 'external', ${DIM}) ON CONFLICT DO NOTHING`);
  const pgvector = await new SemanticSearch(db).usesPgvector();
  for (let start = 0; start < size; start += 500) {
    const params: unknown[] = [];
    const rows: string[] = [];
    for (let i = start; i < Math.min(size, start + 500); i++) {
      const v = vectorFor(i);
      params.push(`r${i}`, v, `topic ${i % 100}`, JSON.stringify({ group: String(i % 10) }), encodeVector(v));
      const n = params.length;
      rows.push(`('t', 'bench', $${n - 4}, 1, $${n - 2}, $${n}, $${n - 3}::real[], ${DIM}, 'null', $${n - 1}::jsonb, now() - interval '1 day', NULL, now() - interval '1 day', now(), 0${pgvector ? `, $${n - 3}::real[]::vector` : ''})`);
    }
    await db.query(
      `INSERT INTO semantic_records (tenant, ns, id, version, content, vector, embedding, dim, payload, metadata, valid_from, valid_to, created_at, updated_at, seq${pgvector ? ', embedding_v' : ''}) VALUES ${rows.join(', ')}`,
      params,
    );
  }
  // Building the HNSW index once after the load is far faster than maintaining it row by row.
  if (pgvector) await db.query(`CREATE INDEX semantic_records_hnsw_${DIM} ON semantic_records USING hnsw ((embedding_v::vector(${DIM})) vector_cosine_ops) WHERE dim = ${DIM}`);
  await db.query(`ANALYZE semantic_records`);
}

async function searchPaths(label: string, db: Database): Promise<void> {
  const search = new SemanticSearch(db);
  const filter = { tenant: 't', ns: 'bench', validAt: new Date(), present: true };
  for (const size of SIZES) {
    const started = Date.now();
    await seed(db, size);
    const seeded = (Date.now() - started) / 1000;
    const queries = Array.from({ length: QUERIES }, (_, i) => vectorFor(10_000_000 + i));
    const pgvector = await search.usesPgvector();
    const dense = await timeEach(QUERIES, (i) => search.dense(filter, queries[Math.abs(i) % QUERIES], 10), 5);
    let recall = 0;
    for (const q of queries.slice(0, 20)) {
      const found = new Set((await search.dense(filter, q, 10)).map((r) => r.id));
      const exact = await exactTop(db, q, 10);
      recall += exact.filter((id) => found.has(id)).length / 10;
    }
    recall /= 20;
    console.log(`${label}, ${size.toLocaleString('en-US')} records (seeded in ${seeded.toFixed(1)} s)`);
    console.log(`  ${pgvector ? 'HNSW (pgvector)' : 'exact (cached unit vectors)'} top-10   p50 ${ms(dense.p50)}  p99 ${ms(dense.p99)}  recall@10 vs SQL exact ${(recall * 100).toFixed(1)}%`);
  }
}

/** The exact top ids, whatever index exists: a plain scan over the unit vectors. */
async function exactTop(db: Database, q: number[], k: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT id FROM semantic_records WHERE tenant = 't' AND ns = 'bench' ORDER BY (SELECT sum(a * b) FROM unnest(embedding, $1::real[]) AS t(a, b)) DESC, id LIMIT ${k}`,
    [q],
  );
  return rows.map((r) => r.id);
}

async function embedderQuality(embedder: Embedder): Promise<{ accuracy: number; perSecond: number }> {
  const started = Date.now();
  const a = (await embedder.embed(PARAPHRASES.map((p) => p[0]))).map(normalize);
  const b = (await embedder.embed(PARAPHRASES.map((p) => p[1]))).map(normalize);
  const perSecond = (PARAPHRASES.length * 2) / ((Date.now() - started) / 1000);
  const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i], 0);
  let hits = 0;
  a.forEach((va, i) => {
    const best = b.map((vb, j) => [dot(va, vb), j] as const).sort((x, y) => y[0] - x[0])[0][1];
    if (best === i) hits++;
  });
  return { accuracy: hits / PARAPHRASES.length, perSecond };
}

const open = (url?: string) =>
  Database.open({ url, pgliteDir: 'memory://', entities: [ProjectionCheckpoint, AppliedRequest, SemanticRecord], migrations: [...BOOKKEEPING_MIGRATIONS, SemanticRecords1763769600500] });

export async function semanticBench(): Promise<void> {
  console.log('memsidecar semantic benchmark\n');
  for (const [name, embedder] of [['use-lite (default, offline model)', new UseLiteEmbedder()], ['hashing (tests)', new HashingEmbedder()]] as const) {
    await embedder.embed(['warm up']);
    const q = await embedderQuality(embedder);
    console.log(`embedder ${name.padEnd(36)} paraphrase retrieval accuracy@1 ${(q.accuracy * 100).toFixed(0)}% on ${PARAPHRASES.length} pairs, ${Math.round(q.perSecond)} sentences/s`);
  }
  console.log('');

  const pg = await createTestDatabase();
  const pglite = await open();
  const postgres = await open(pg.url);
  try {
    const raw = new Client({ connectionString: pg.url });
    await raw.connect();
    const select: Summary = await timeEach(500, () => raw.query({ name: 'b', text: 'SELECT 1 AS one' }));
    await raw.end();
    console.log(`raw Postgres round trip (SELECT 1)               p50 ${ms(select.p50)}  p99 ${ms(select.p99)}\n`);
    await searchPaths('PGlite with pgvector', pglite);
    await searchPaths('system Postgres without pgvector', postgres);
  } finally {
    await pglite.close();
    await postgres.close();
    await pg.drop();
  }

  await withBenchService(async ({ nats, service }) => {
    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    const texts = Array.from({ length: 32 }, (_, i) => `note ${i}: the agent stored a fact about topic ${i % 7} for later recall`);
    const started = Date.now();
    for (let b = 0; b < 10; b++) await client.ok('semantic.upsert', { ns: 'embedded', records: texts.map((content, i) => ({ id: `d${b}-${i}`, content: `${content} (${b})` })) }, { timeoutMs: 60_000 });
    const embeddedRate = 320 / ((Date.now() - started) / 1000);
    const t2 = Date.now();
    for (let b = 0; b < 20; b++) await client.ok('semantic.upsert', { ns: 'vectors', records: Array.from({ length: 100 }, (_, i) => ({ id: `v${b}-${i}`, vector: vectorFor(b * 100 + i) })) });
    const vectorRate = 2000 / ((Date.now() - t2) / 1000);
    const search = await timeEach(200, (i) => client.ok('semantic.search', { ns: 'vectors', queryVector: vectorFor(5_000_000 + Math.abs(i)), topK: 10 }), 10);
    console.log(`\nthrough the service (system Postgres):`);
    console.log(`  semantic.upsert, default embedder, batches of 32    ${rate(embeddedRate)} records`);
    console.log(`  semantic.upsert, precomputed vectors, batches of 100 ${rate(vectorRate)} records`);
    console.log(`  semantic.search over 2,000 records (exact)           p50 ${ms(search.p50)}  p99 ${ms(search.p99)}`);
    await client.close();
  });
}
