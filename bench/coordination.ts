/**
 * Episodic append throughput, episodic range latency on large logs, and lease acquire+release
 * round trips, next to raw baselines measured in the same run.
 */
import { Client } from 'pg';
import { NatsTestClient } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { withBenchService } from './setup';
import { ms, rate, throughput, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 1000);
const CLIENTS = 32;
const PER_CLIENT = Number(process.env.BENCH_PER_CLIENT ?? 100);
const LOG_SIZES = (process.env.BENCH_LOG_SIZES ?? '100000,1000000').split(',').map(Number);
const RANGE_RUNS = 200;

/** Fills one namespace's read model straight in SQL: range latency depends on the rows, not on how they came. */
async function seedLog(databaseUrl: string, ns: string, size: number): Promise<void> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO episodic_events (tenant, ns, cursor, id, type, payload, role, session_id, metadata, dedup_key, supersedes, created_at, seq)
       SELECT 'default', $1, g, md5($1 || g::text), CASE WHEN g % 3 = 0 THEN 'tool_call' ELSE 'message' END, '{"text":"hello"}',
              CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END, 's' || (g / 1000), NULL, NULL, '[]',
              timestamptz '2026-01-01' + g * interval '10 ms', 0
       FROM generate_series(1, $2::int) g`,
      [ns, size],
    );
    await c.query('ANALYZE episodic_events');
  } finally {
    await c.end();
  }
}

const line = (name: string, s: Summary) => console.log(`${name.padEnd(48)} ${ms(s.p50).padStart(12)}  ${ms(s.p99).padStart(12)}`);

export async function coordinationBench(): Promise<void> {
  await withBenchService(async ({ nats, pg, service, embedded }) => {
    console.log(`memsidecar coordination benchmark — read models on ${embedded ? 'PGlite' : 'Postgres'}\n`);
    const raw = RawBaselines.create(nats.url, pg.url, N);
    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    const baseline = await raw.latencyRound();
    const pipelined = await raw.pipelined(20_000);

    const append = await timeEach(N, () => client.ok('episodic.append', { ns: 'one', type: 'message', payload: { text: 'hello' } }));
    const oneClientRate = await throughput(1, N, () => client.ok('episodic.append', { ns: 'one', type: 'message', payload: { text: 'hello' } }));
    const clients = await Promise.all(Array.from({ length: CLIENTS }, () => NatsTestClient.connect(nats.url, service.adminToken())));
    const sharedRate = await throughput(CLIENTS, PER_CLIENT, (w) => clients[w].ok('episodic.append', { ns: 'shared', type: 'message', payload: { w } }, { timeoutMs: 60_000 }));
    const spreadRate = await throughput(CLIENTS, PER_CLIENT, (w) => clients[w].ok('episodic.append', { ns: `own-${w}`, type: 'message', payload: { w } }));
    await Promise.all(clients.map((c) => c.close()));

    const lease = await timeEach(N, async (i) => {
      const held = await client.ok('lease.acquire', { ns: 'bench', key: `lock-${Math.abs(i) % 50}`, ttlMs: 10_000 });
      await client.ok('lease.release', { ns: 'bench', key: `lock-${Math.abs(i) % 50}`, holderId: held.holderId });
    });

    console.log('latency                                                   p50           p99');
    line('raw NATS request/reply', baseline.requestReply);
    line('raw JetStream publish (awaited)', baseline.publishAwaited);
    line('raw Postgres point select', baseline.pgPointSelect);
    line('episodic.append (1 client)', append);
    line('lease.acquire + lease.release (2 requests)', lease);
    console.log(`\nraw JetStream publish (pipelined, window 256)    ${rate(pipelined)}`);
    console.log(`episodic.append, 1 client                         ${rate(oneClientRate)}`);
    console.log(`episodic.append, ${CLIENTS} clients, one namespace         ${rate(sharedRate)}`);
    console.log(`episodic.append, ${CLIENTS} clients, one namespace each    ${rate(spreadRate)}`);

    if (embedded) return;
    for (const size of LOG_SIZES) {
      const ns = `big-${size}`;
      const started = Date.now();
      await seedLog(pg.url, ns, size);
      console.log(`\nepisodic.range over ${size.toLocaleString('en-US')} events in one namespace (seeded in ${((Date.now() - started) / 1000).toFixed(1)} s), ${RANGE_RUNS} runs each`);
      const range = (body: Record<string, unknown>) => timeEach(RANGE_RUNS, () => client.ok('episodic.range', { ns, limit: 100, ...body }), 20);
      const mid = Math.floor(size / 2);
      const rounds: [string, Record<string, unknown>][] = [
        ['first page', {}],
        ['page after the middle cursor', { afterCursor: mid }],
        ['newest 100 (reverse)', { reverse: true }],
        ['type filter after the middle', { type: 'tool_call', afterCursor: mid }],
        ['session filter', { sessionId: `s${Math.floor(mid / 1000)}` }],
        ['role + cursor window', { role: 'user', afterCursor: mid, beforeCursor: mid + 1000 }],
        ['time window', { after: new Date(Date.parse('2026-01-01') + mid * 10).toISOString(), before: new Date(Date.parse('2026-01-01') + (mid + 500) * 10).toISOString() }],
      ];
      for (const [name, body] of rounds) line(`  ${name}`, await range(body));
    }
    await client.close();
  });
}
