/**
 * The graph block at 10^5 nodes and 10^6 edges (BENCH_GRAPH_NODES, BENCH_GRAPH_DEGREE to change
 * it): graph.neighbors and a 3-hop graph.traverse through the service, p50/p99, next to the same
 * reads as raw SQL on the same read-model tables (a neighbour join and a plain recursive CTE) and a
 * raw NATS request/reply, measured in the same run. The graph is loaded through graph.upsert.
 */
import { Client } from 'pg';
import { NatsTestClient } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { withBenchService } from './setup';
import { ms, rate, timeEach, type Summary } from './stats';

const NODES = Number(process.env.BENCH_GRAPH_NODES ?? 100_000);
const DEGREE = Number(process.env.BENCH_GRAPH_DEGREE ?? 10);
const QUERIES = Number(process.env.BENCH_GRAPH_QUERIES ?? 500);
const BATCH = 1_000;
const NS = 'bench-graph';
const TYPES = ['knows', 'works_with', 'mentions'];

/** Seeded pseudo-random integers in [0, n): the same graph in every run. */
function seeded(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

const nodeId = (i: number) => `n${i}`;

async function load(client: NatsTestClient): Promise<{ seconds: number; seq: number }> {
  const started = performance.now();
  let seq = 0;
  for (let first = 0; first < NODES; first += BATCH) {
    const nodes = Array.from({ length: Math.min(BATCH, NODES - first) }, (_, k) => ({ id: nodeId(first + k), labels: [(first + k) % 10 === 0 ? 'Hub' : 'Person'], props: { rank: (first + k) % 100 } }));
    seq = (await client.ok('graph.upsert', { ns: NS, nodes })).seq;
  }
  const pick = seeded(7);
  const total = NODES * DEGREE;
  for (let first = 0; first < total; first += BATCH) {
    const edges = Array.from({ length: Math.min(BATCH, total - first) }, (_, k) => {
      const i = first + k;
      return { id: `e${i}`, type: TYPES[i % TYPES.length], from: nodeId(Math.floor(i / DEGREE)), to: nodeId(pick(NODES)), props: { w: i % 7 } };
    });
    seq = (await client.ok('graph.upsert', { ns: NS, edges })).seq;
  }
  return { seconds: (performance.now() - started) / 1000, seq };
}

const NEIGHBORS_SQL = `SELECT e.id, e.type, e.from_id, e.to_id, e.props, n.id AS node, n.labels, n.props AS node_props
  FROM graph_edges e JOIN graph_nodes n ON n.tenant = e.tenant AND n.ns = e.ns AND n.id = CASE WHEN e.from_id = $3 THEN e.to_id ELSE e.from_id END
  WHERE e.tenant = $1 AND e.ns = $2 AND (e.from_id = $3 OR e.to_id = $3) AND e.valid_from <= now() AND (e.valid_to IS NULL OR e.valid_to > now())
  ORDER BY e.id LIMIT 100`;

const TRAVERSE_SQL = `WITH RECURSIVE walk(id, depth) AS (
    SELECT $3::text COLLATE "C", 0
    UNION
    SELECT e.to_id, w.depth + 1 FROM walk w JOIN graph_edges e ON e.tenant = $1 AND e.ns = $2 AND e.from_id = w.id
    WHERE w.depth < 3 AND e.valid_from <= now() AND (e.valid_to IS NULL OR e.valid_to > now())
  )
  SELECT n.id, n.labels, n.props, min(w.depth) AS depth FROM walk w JOIN graph_nodes n ON n.tenant = $1 AND n.ns = $2 AND n.id = w.id
  GROUP BY n.id, n.labels, n.props ORDER BY depth, n.id LIMIT 1001`;

export async function graphBench(): Promise<void> {
  await withBenchService(async ({ nats, pg, service, embedded }) => {
    if (embedded) throw new Error('the graph bench compares with raw SQL on the system Postgres: run it without BENCH_DATABASE=pglite');
    console.log(`memsidecar graph benchmark — ${NODES.toLocaleString('en-US')} nodes, ${(NODES * DEGREE).toLocaleString('en-US')} edges (out-degree ${DEGREE}), nats-server child, read models on Postgres; ${QUERIES} queries each\n`);
    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    const sql = new Client({ connectionString: pg.url });
    await sql.connect();
    try {
      const loaded = await load(client);
      await client.ok('graph.get', { ns: NS, nodeIds: [nodeId(0)], minSeq: loaded.seq }, { timeoutMs: 600_000 });
      console.log(`loaded through graph.upsert (${BATCH} items per call): ${rate((NODES * (DEGREE + 1)) / loaded.seconds)} items (${loaded.seconds.toFixed(1)} s)\n`);
      const tenant = (await sql.query<{ tenant: string }>(`SELECT tenant FROM graph_nodes LIMIT 1`)).rows[0].tenant;
      const start = seeded(11);
      const starts = Array.from({ length: QUERIES }, () => nodeId(start(NODES)));
      // Warm-up calls pass negative indexes (see timeEach): they walk from the same start nodes.
      const at = (i: number) => starts[(i + QUERIES) % QUERIES];
      const raw = RawBaselines.create(nats.url, pg.url, QUERIES);
      const rows: [string, Summary][] = [];
      for (const [name, summary] of await raw.namedLatencyRound()) if (name === 'raw NATS request/reply') rows.push([name, summary]);
      let traversed = 0;
      let walks = 0;
      rows.push(['raw SQL neighbours (join, limit 100)', await timeEach(QUERIES, (i) => sql.query(NEIGHBORS_SQL, [tenant, NS, at(i)]))]);
      rows.push(['graph.neighbors (limit 100)', await timeEach(QUERIES, (i) => client.ok('graph.neighbors', { ns: NS, id: at(i), limit: 100 }))]);
      rows.push(['raw recursive CTE, 3 hops out', await timeEach(QUERIES, (i) => sql.query(TRAVERSE_SQL, [tenant, NS, at(i)]))]);
      rows.push([
        'graph.traverse depth 3 out',
        await timeEach(QUERIES, async (i) => {
          const r = await client.ok('graph.traverse', { ns: NS, startId: at(i), depth: 3, maxNodes: 1000, fanOut: 100 });
          traversed += r.nodes.length;
          walks++;
        }),
      ]);
      const sample = await client.ok('graph.traverse', { ns: NS, startId: at(0), depth: 3, maxNodes: 1000, fanOut: 100 });
      const nodeIds = sample.nodes.map((n: { id: string }) => n.id);
      const edgeIds = sample.edges.map((e: { id: string }) => e.id).slice(0, 1000);
      rows.push(['graph.get of one walk\'s nodes+edges', await timeEach(100, () => client.ok('graph.get', { ns: NS, nodeIds, edgeIds }))]);
      rows.push(['graph.traverse depth 3, maxNodes 10', await timeEach(100, (i) => client.ok('graph.traverse', { ns: NS, startId: at(i), depth: 3, maxNodes: 10, fanOut: 100 }))]);
      console.log('latency                                   p50           p99');
      for (const [name, s] of rows) console.log(`${name.padEnd(40)} ${ms(s.p50).padStart(12)}  ${ms(s.p99).padStart(12)}`);
      console.log(`\ngraph.traverse visited ${(traversed / walks).toFixed(0)} nodes per walk on average (maxNodes 1000, fanOut 100)`);
    } finally {
      await sql.end();
      await client.close();
    }
  });
}
