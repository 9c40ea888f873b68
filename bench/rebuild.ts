/**
 * Rebuilding every read model from a log of 10^6 mixed events (BENCH_EVENTS to change it), next
 * to the raw floors measured in the same run: an ordered consumer reading the whole stream, and
 * multi-row INSERTs of as many rows into a plain Postgres table. The same events are rebuilt twice,
 * from a log written clear and from one with sealed payloads, each on its own nats-server and
 * database: what opening every payload costs a rebuild.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '@memsidecar/config';
import { BLOCKS, NatsLog, openReadModelDatabase, rebuildReadModels, type InfraLogger } from '@memsidecar/platform';
import { createTestDatabase, startTestNats } from '@memsidecar/testing';
import { EventMix } from './rebuild-events';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PUBLISH_WINDOW = 4_096;
const ROWS_PER_INSERT = 500;
const quiet: InfraLogger = { log: () => {}, warn: (m) => console.error(m), error: (m) => console.error(m) };

const perSecond = (n: number, seconds: number): string => `${Math.round(n / seconds).toLocaleString('en-US')}/s`;
const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;

/** The events go straight to JetStream, pipelined, on the subjects the blocks use, encoded as the log encodes them (sealed or clear). */
async function writeLog(log: NatsLog, n: number): Promise<number> {
  const mix = new EventMix();
  const started = process.hrtime.bigint();
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const e = mix.event();
    inFlight.push(log.store.js.publish(e.subject, await log.store.codec.encode(e.envelope)));
    if (inFlight.length >= PUBLISH_WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return seconds(started);
}

/** Raw floor of the log side: one ordered consumer over the whole stream, messages not even decoded. */
async function readWholeStream(log: NatsLog, n: number): Promise<number> {
  const started = process.hrtime.bigint();
  const consumer = await log.store.js.consumers.get(log.store.stream, { filter_subjects: 'mem.evt.>' });
  const messages = await consumer.consume({ max_messages: 4_096 });
  let count = 0;
  for await (const m of messages) {
    if (++count >= n || m.info.pending === 0) break;
  }
  await messages.close();
  if (count !== n) throw new Error(`read ${count} of ${n} events`);
  return seconds(started);
}

/** Raw floor of the database side: as many rows as events, multi-row INSERTs on one connection. */
async function insertRows(url: string, n: number): Promise<number> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`CREATE TABLE bench_rows (seq bigint PRIMARY KEY, tenant text NOT NULL, ns text NOT NULL, key text NOT NULL, value json NOT NULL)`);
    const value = JSON.stringify({ step: 1, status: 'doing', note: 'deploy cache auth retry queue index vector billing', tags: ['a', 'b'] });
    const started = process.hrtime.bigint();
    for (let first = 1; first <= n; first += ROWS_PER_INSERT) {
      const params: unknown[] = [];
      const rows: string[] = [];
      for (let seq = first; seq < Math.min(first + ROWS_PER_INSERT, n + 1); seq++) {
        params.push(seq, `tenant-${seq % 10}`, 'notes', `user-${seq % 5000}/state`, value);
        const p = params.length;
        rows.push(`($${p - 4}, $${p - 3}, $${p - 2}, $${p - 1}, $${p}::json)`);
      }
      await c.query(`INSERT INTO bench_rows (seq, tenant, ns, key, value) VALUES ${rows.join(', ')}`, params);
    }
    const took = seconds(started);
    await c.query(`DROP TABLE bench_rows`);
    return took;
  } finally {
    await c.end();
  }
}

interface RebuildFigures {
  written: number;
  read: number;
  inserted: number;
  rebuilt: number;
  phases: string[];
  readModels: { name: string; events: number; applied: number }[];
}

/** One log of `EVENTS` events written (sealed or clear), read raw, and rebuilt into every read model. */
async function rebuildRun(sealed: boolean): Promise<RebuildFigures> {
  const nats = await startTestNats();
  const pg = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'memsidecar-bench-'));
  const config = loadConfig(
    { MEMSIDECAR_NATS_URL: nats.url, MEMSIDECAR_DATABASE_URL: pg.url, MEMSIDECAR_DATA_DIR: dataDir, MEMSIDECAR_ENCRYPTION: sealed ? 'on' : 'off' },
    undefined,
  );
  const log = await NatsLog.open(config, quiet);
  const live = await openReadModelDatabase(config, BLOCKS);
  try {
    const written = await writeLog(log, EVENTS);
    const read = await readWholeStream(log, EVENTS);
    const inserted = await insertRows(pg.url, EVENTS);
    const started = process.hrtime.bigint();
    const phases: string[] = [];
    const progress = {
      filling: () => () => void phases.push(`filled at ${seconds(started).toFixed(1)} s`),
      step: (message: string) => void phases.push(`${message.split(':')[0]} at ${seconds(started).toFixed(1)} s`),
    };
    const result = await rebuildReadModels({ config, blocks: BLOCKS, log, live, logger: quiet, dropOld: true, progress });
    return { written, read, inserted, rebuilt: seconds(started), phases, readModels: result.readModels };
  } finally {
    await live.close();
    await log.close();
    await pg.drop();
    await nats.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function rebuildBench(): Promise<void> {
  console.log(`memsidecar rebuild benchmark — ${EVENTS.toLocaleString('en-US')} mixed events, nats-server child, read models on Postgres; clear log, then sealed log\n`);
  const clear = await rebuildRun(false);
  const sealed = await rebuildRun(true);
  for (const [name, f] of [['clear payloads', clear], ['sealed payloads (AES-256-GCM)', sealed]] as const) {
    console.log(`${name}`);
    console.log(`  log written (pipelined JetStream publish):       ${perSecond(EVENTS, f.written).padStart(12)} events  (${f.written.toFixed(1)} s)`);
    console.log(`  raw ordered consumer, whole stream:              ${perSecond(EVENTS, f.read).padStart(12)} events  (${f.read.toFixed(1)} s)`);
    console.log(`  raw Postgres multi-row INSERT (${ROWS_PER_INSERT} rows each):   ${perSecond(EVENTS, f.inserted).padStart(12)} rows    (${f.inserted.toFixed(1)} s)`);
    console.log(`  projections rebuild, blue/green, all read models: ${perSecond(EVENTS, f.rebuilt).padStart(11)} events  (${f.rebuilt.toFixed(1)} s)`);
    console.log(`    ${f.phases.join('; ')}; done at ${f.rebuilt.toFixed(1)} s`);
    for (const r of f.readModels) console.log(`    ${r.name.padEnd(20)} ${r.events.toLocaleString('en-US').padStart(10)} events, up to seq ${r.applied}`);
  }
  console.log(`\nsealing's cost: rebuild ${(clear.rebuilt / sealed.rebuilt).toFixed(2)}x the clear rate (${perSecond(EVENTS, sealed.rebuilt)} vs ${perSecond(EVENTS, clear.rebuilt)}); writing ${(clear.written / sealed.written).toFixed(2)}x`);
}
