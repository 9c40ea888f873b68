import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpProxy, createTestDatabase, until, type TestDatabase } from '@memsidecar/testing';
import { Database, MAX_PREPARED_STATEMENTS } from './database';

function recordingLogger() {
  const lines: string[] = [];
  return { lines, logger: { log: (m: string) => void lines.push(`log ${m}`), warn: (m: string) => void lines.push(`warn ${m}`), error: (m: string) => void lines.push(`error ${m}`) } };
}

describe('database - statements', () => {
  let pg: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    pg = await createTestDatabase();
    // One connection, so pg_prepared_statements shows everything the pool prepared.
    db = await Database.open({ url: pg.url, pgliteDir: 'memory://', entities: [], migrations: [], poolSize: 1 });
  });

  afterAll(async () => {
    await db?.close();
    await pg?.drop();
  });

  const preparedOnServer = async () => (await db.query<{ statement: string }>(`SELECT statement FROM pg_prepared_statements ORDER BY statement`)).map((r) => r.statement);

  it('runs query() unnamed, whatever its text, and names only what prepared() runs', async () => {
    for (let i = 1; i <= 50; i++) await db.query(`SELECT $1::int + ${i} AS n LIMIT ${i}`, [i]);
    await db.transaction(async (sql) => {
      for (let i = 1; i <= 20; i++) await sql.query(`SELECT ${i} AS n`);
    });
    expect(db.preparedStatementCount).toBe(0);
    expect(await preparedOnServer()).toEqual([]);

    for (let i = 0; i < 5; i++) {
      expect(await db.prepared<{ n: number }>(`SELECT $1::int AS n`, [i])).toEqual([{ n: i }]);
      await db.transaction((sql) => sql.prepared(`SELECT $1::text AS s`, [String(i)]));
    }
    expect(db.preparedStatementCount).toBe(2);
    expect(await preparedOnServer()).toEqual([`SELECT $1::int AS n`, `SELECT $1::text AS s`]);
  });

  it('refuses to name more than a bounded number of texts', async () => {
    const before = db.preparedStatementCount;
    for (let i = before; i < MAX_PREPARED_STATEMENTS; i++) await db.prepared(`SELECT ${i} AS n`, []);
    expect(db.preparedStatementCount).toBe(MAX_PREPARED_STATEMENTS);
    await expect(db.prepared(`SELECT 'one too many' AS n`, [])).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(db.transaction((sql) => sql.prepared(`SELECT 'one too many' AS n`, []))).rejects.toMatchObject({ code: 'INTERNAL' });
    // Texts named already still run, and so does any unnamed one.
    expect(await db.prepared(`SELECT $1::int AS n`, [7])).toEqual([{ n: 7 }]);
    expect(await db.query(`SELECT 'unnamed' AS s`)).toEqual([{ s: 'unnamed' }]);
    expect(db.preparedStatementCount).toBe(MAX_PREPARED_STATEMENTS);
  });
});

describe('database - a server that goes away', () => {
  let pg: TestDatabase;
  let proxy: TcpProxy;
  let db: Database;
  const { lines, logger } = recordingLogger();
  const changes: boolean[] = [];

  beforeAll(async () => {
    pg = await createTestDatabase();
    const url = new URL(pg.url);
    proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    db = await Database.open({ url: url.toString(), pgliteDir: 'memory://', entities: [], migrations: [], poolSize: 3, logger });
    db.onAvailabilityChange((available) => changes.push(available));
  });

  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await pg?.drop();
  });

  it('fails a transaction it dies in as UNAVAILABLE without ending the process, fails fast while down, and tells outage and return once each', async () => {
    // Idle pooled connections, to be cut with the rest.
    await Promise.all([1, 2, 3].map(() => db.query(`SELECT pg_sleep(0.05)`)));
    expect(db.available).toBe(true);

    const dying = db.transaction(async (sql) => {
      await sql.query(`CREATE TEMP TABLE t (n int)`);
      proxy.cut();
      // The connection fails while no statement runs on it: an 'error' event nobody else hears.
      await new Promise((r) => setTimeout(r, 200));
      await sql.query(`INSERT INTO t VALUES (1)`);
    });
    await expect(dying).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(db.available).toBe(false);
    await until(() => db.pool.totalCount === 0, 2_000);

    // Statements are still tried while it is down, and fail fast.
    for (let i = 0; i < 10; i++) {
      const started = Date.now();
      await expect(db.query(`SELECT 1`)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      await expect(db.transaction((sql) => sql.query(`SELECT 1`))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    await expect(db.ping()).rejects.toMatchObject({ code: 'UNAVAILABLE' });

    // A server that accepts connections and never answers: connecting gives up after the timeout.
    proxy.hang();
    const started = Date.now();
    await expect(db.query(`SELECT 1`)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2_500);
    await new Promise((r) => setTimeout(r, 600));
    expect(db.available).toBe(false);

    proxy.restore();
    await until(() => db.available, 3_000);
    expect(await db.query<{ n: number }>(`SELECT 1 AS n`)).toEqual([{ n: 1 }]);
    await db.transaction((sql) => sql.query(`SELECT 1`));

    expect(changes).toEqual([false, true]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^warn database unreachable: .+; reads answer UNAVAILABLE and read models pause until it returns$/);
    expect(lines[1]).toMatch(/^log database reachable again after \d+\.\d s$/);
  }, 30_000);

  it('survives idle pooled connections being cut', async () => {
    lines.length = 0;
    changes.length = 0;
    await Promise.all([1, 2, 3].map(() => db.query(`SELECT pg_sleep(0.05)`)));
    expect(db.pool.idleCount).toBeGreaterThan(0);
    proxy.cut();
    await until(() => !db.available, 2_000);
    await until(() => db.pool.totalCount === 0, 2_000);
    proxy.restore();
    await until(() => db.available, 3_000);
    expect(await db.query<{ n: number }>(`SELECT 2 AS n`)).toEqual([{ n: 2 }]);
    expect(changes).toEqual([false, true]);
    expect(lines).toHaveLength(2);
  }, 30_000);
});
