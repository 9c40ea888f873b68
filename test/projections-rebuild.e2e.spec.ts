import { execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventStore } from '@memsidecar/event-store';
import { NatsTestClient, RunningService, createTestDatabase, startTestNats, waitFor, type TestDatabase, type TestNats } from '@memsidecar/testing';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');
const WRITERS = 4;
const NS = 'bluegreen';

interface StatusRow {
  readModel: string;
  applied: number;
  logSeq: number;
  lag: number;
  state: string;
}

/** Writers that keep putting and appending (and reading their own writes) until told to stop. */
class WriterLoop {
  readonly puts = new Map<string, number>();
  readonly appended: { id: string; cursor: number }[] = [];
  readonly failures: string[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly client: NatsTestClient) {}

  start(): void {
    this.loops = Array.from({ length: WRITERS }, (_, w) => this.write(w));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  get writes(): number {
    return [...this.puts.values()].reduce((a, b) => a + b, 0) + this.appended.length;
  }

  private async write(w: number): Promise<void> {
    for (let i = 0; !this.stopped; i++) {
      const key = `w${w}/k${i % 5}`;
      try {
        const put = await this.client.ok('kv.put', { ns: NS, key, value: { w, i } });
        this.puts.set(key, (this.puts.get(key) ?? 0) + 1);
        // Read-your-writes through the service, including while the read models are switched.
        const got = await this.client.ok('kv.get', { ns: NS, key });
        if (got.version !== put.version) this.failures.push(`${key}: read version ${got.version} after writing ${put.version}`);
        const appended = await this.client.ok('episodic.append', { ns: NS, type: 'note', payload: { w, i } });
        this.appended.push({ id: appended.id, cursor: appended.cursor });
      } catch (e) {
        this.failures.push((e as Error).message);
      }
    }
  }
}

describe('projections - blue/green rebuild on Postgres while the service serves and writes', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let service: RunningService;
  let client: NatsTestClient;
  const env = () => ({ ...process.env, MEMSIDECAR_NATS_URL: nats.url, MEMSIDECAR_DATABASE_URL: pg.url, MEMSIDECAR_DATA_DIR: service.dataDir });
  const memctl = (...args: string[]) => run(process.execPath, [MEMCTL, ...args], { env: env(), maxBuffer: 16 * 1024 * 1024 });
  const status = async (): Promise<StatusRow[]> =>
    (await memctl('projections', 'status', '--json')).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
    const c = new Client({ connectionString: pg.url });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  const backupSchemas = async () =>
    (await sql<{ name: string }>(`SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'memsidecar_old_%' ORDER BY nspname`)).map((r) => r.name);

  beforeAll(async () => {
    nats = await startTestNats();
    pg = await createTestDatabase();
    service = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url });
    client = await NatsTestClient.connect(nats.url, service.adminToken());
    // Enough history that filling the new read models takes a while.
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < 150; i++) {
          await client.ok('kv.put', { ns: 'history', key: `h${w}/${i % 40}`, value: { w, i } });
          await client.ok('episodic.append', { ns: 'history', type: 'turn', payload: { w, i } });
        }
      }),
    );
  });

  afterAll(async () => {
    await client?.close();
    await service?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  it('every write acknowledged before, during and after the switch is in the new read models exactly once', async () => {
    const writers = new WriterLoop(client);
    writers.start();
    await waitFor(async () => writers.writes, (n) => n >= 40, 10_000);
    const beforeRebuild = writers.writes;
    const { stdout, stderr } = await memctl('projections', 'rebuild');
    const duringRebuild = writers.writes;
    expect(duringRebuild - beforeRebuild, 'writes acknowledged while the rebuild ran').toBeGreaterThan(20);
    await waitFor(async () => writers.writes, (n) => n >= duringRebuild + 40, 10_000);
    await writers.stop();
    expect(writers.failures).toEqual([]);

    // The live runners kept counting through the switch; none of them is catching up now.
    const metrics = await (await fetch(`${service.httpUrl}/metrics`)).text();
    const gauge = (name: string) => Number(new RegExp(`^${name}\\{read_model="kv_entries"\\} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(gauge('memsidecar_projection_events_applied')).toBeGreaterThanOrEqual([...writers.puts.values()].reduce((a, b) => a + b, 0));
    expect(gauge('memsidecar_projection_events_per_second')).toBeGreaterThan(0);
    expect(gauge('memsidecar_projection_lag_events')).toBe(0);
    expect(gauge('memsidecar_projection_catching_up')).toBe(0);

    // memctl showed progress (plain lines: stderr is not a terminal) and named the backup schema.
    expect(stderr).toMatch(/kv_entries .*%.*ev\/s/);
    expect(stderr).toContain('switching');
    for (const model of ['kv_entries', 'episodic_events', 'audit_log']) expect(stdout).toMatch(new RegExp(`${model}: rebuilt up to seq \\d+`));
    const [backup] = await backupSchemas();
    expect(stdout).toContain(`DROP SCHEMA ${backup} CASCADE`);

    // Reads through the service see every acknowledged write once.
    for (const [key, puts] of writers.puts) expect(await client.ok('kv.get', { ns: NS, key }), key).toMatchObject({ found: true, version: puts });
    const range = await client.ok('episodic.range', { ns: NS, limit: 1000 });
    const cursors = range.events.map((e: { cursor: number }) => e.cursor);
    expect(cursors).toEqual(Array.from({ length: writers.appended.length }, (_, i) => i + 1));
    expect(new Set(range.events.map((e: { id: string }) => e.id))).toEqual(new Set(writers.appended.map((a) => a.id)));
    const [{ rows, distinct }] = await sql<{ rows: number; distinct: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT cursor)::int AS distinct FROM episodic_events WHERE ns = $1`,
      [NS],
    );
    expect([rows, distinct]).toEqual([writers.appended.length, writers.appended.length]);

    // Every read model's checkpoint reaches the head of its subjects in the log.
    const caughtUp = await waitFor(status, (rows) => rows.every((r) => r.lag === 0), 10_000);
    expect(caughtUp.map((r) => r.readModel)).toEqual(expect.arrayContaining(['kv_entries', 'episodic_events', 'audit_log']));
    for (const r of caughtUp) expect(r, r.readModel).toMatchObject({ applied: r.logSeq, lag: 0, state: 'current' });

    // The replaced tables and the checkpoints they stood at are kept for a rollback.
    const kept = await sql<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = $1`, [backup]);
    expect(kept.map((t) => t.name)).toEqual(expect.arrayContaining(['kv_entries', 'episodic_events', 'mem_checkpoints', 'mem_requests']));
    const [{ seq }] = await sql<{ seq: string }>(`SELECT seq FROM ${backup}.mem_checkpoints WHERE name = 'kv_entries'`);
    expect(Number(seq)).toBeGreaterThan(0);
    expect(await sql(`SELECT 1 FROM pg_namespace WHERE nspname = 'memsidecar_next'`)).toEqual([]);
  }, 180_000);

  it('a long read holding a live table makes the switch let go, catch up and try again', async () => {
    const reader = new Client({ connectionString: pg.url });
    await reader.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM kv_entries');
    const child = spawn(process.execPath, [MEMCTL, 'projections', 'rebuild', '--drop-old'], { env: env() });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    const retrying = new Promise<void>((seen) =>
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('trying again')) seen();
      }),
    );
    await Promise.race([retrying, exited]);
    expect(stderr).toContain('stayed locked');
    // The service still serves while the rebuild waits.
    await client.ok('kv.put', { ns: NS, key: 'during-retry', value: 1 });
    await reader.query('COMMIT');
    await reader.end();
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/kv_entries: rebuilt up to seq \d+/);
    expect(await client.ok('kv.get', { ns: NS, key: 'during-retry' })).toMatchObject({ found: true, version: 1 });
  }, 180_000);

  it('status shows each read model behind by its lag in events, and --drop-old leaves no backup', async () => {
    const before = await backupSchemas();
    const { stdout } = await memctl('projections', 'rebuild', '--drop-old');
    expect(stdout).not.toContain('DROP SCHEMA');
    expect(await backupSchemas()).toEqual(before);

    // With the service stopped, new events pile up behind the checkpoints.
    await service.stop();
    const events = await NatsTestClient.connect(nats.url);
    const store = await EventStore.open(events.nc, { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 });
    const at = new Date().toISOString();
    for (let i = 1; i <= 3; i++) {
      await store.append(`mem.evt.kv.default.${NS}.late${i}`, {
        id: `late-${i}`, type: 'kv.value_set', v: 1, at, tenant: 'default', agent: 'test', block: 'kv', ns: NS, entity: `late${i}`,
        data: { value: i, version: 1, createdAt: at, updatedAt: at, expiresAt: null, metadata: null },
      }, { expectedLastSubjectSeq: 0 });
    }
    await events.close();
    const rows = await status();
    expect(rows.find((r) => r.readModel === 'kv_entries')).toMatchObject({ lag: 3, state: 'behind' });
    expect(rows.find((r) => r.readModel === 'audit_log')).toMatchObject({ lag: 3, state: 'behind' });
    expect(rows.find((r) => r.readModel === 'episodic_events')).toMatchObject({ lag: 0, state: 'current' });
    const table = (await memctl('projections', 'status')).stdout;
    expect(table).toMatch(/READ MODEL\s+APPLIED\s+LOG\s+LAG\s+STATE/);
    expect(table).toMatch(/kv_entries\s+\d+\s+\d+\s+3\s+behind/);

    service = await service.restart();
    expect(await client.ok('kv.get', { ns: NS, key: 'late3' }, { timeoutMs: 20_000 })).toMatchObject({ found: true, value: 3 });
  }, 180_000);
});
