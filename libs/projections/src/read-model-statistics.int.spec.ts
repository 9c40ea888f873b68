import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@memsidecar/testing';
import { Database } from './database';
import type { ProjectionRunner } from './projection-runner';
import { ReadModelStatistics } from './read-model-statistics';

// The same expectations on PGlite (no autovacuum at all) and on the system Postgres.
describe.each(['postgres', 'pglite'] as const)('read-model statistics on %s', (kind) => {
  let pg: TestDatabase | undefined;
  let db: Database;
  const warnings: string[] = [];
  /** A read model as the keeper sees it: the events its runner applied and the tables it owns. */
  const runner = { name: 'notes', stats: { batches: 0, events: 0 }, projection: { tables: ['notes'] } } as unknown as ProjectionRunner;
  const estimatedRows = async () => Number((await db.query<{ rows: number }>(`SELECT reltuples AS rows FROM pg_class WHERE relname = 'notes'`))[0].rows);
  const insert = (n: number) => db.query(`INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, $1) g`, [n]);

  beforeAll(async () => {
    pg = kind === 'postgres' ? await createTestDatabase() : undefined;
    db = await Database.open({ url: pg?.url, pgliteDir: 'memory://', entities: [], migrations: [] });
    await db.query(`CREATE TABLE notes (id integer, body text)`);
  });

  afterAll(async () => {
    await db?.close();
    await pg?.drop();
  });

  it('analyzes a read model once it applied an event, then after each 10 % of growth', async () => {
    const keeper = new ReadModelStatistics(db, [runner], { warn: (m) => warnings.push(m) });
    await insert(1_000);
    await keeper.analyzeDue();
    expect(await estimatedRows()).toBeLessThan(1);
    runner.stats.events = 40;
    await keeper.analyzeDue();
    expect(await estimatedRows()).toBe(1_000);
    await insert(1_000);
    // 10 % of 40 more events are due before the next analyze.
    runner.stats.events = 43;
    await keeper.analyzeDue();
    expect(await estimatedRows()).toBe(1_000);
    runner.stats.events = 44;
    await keeper.analyzeDue();
    expect(await estimatedRows()).toBe(2_000);
    expect(warnings).toEqual([]);
  });
});
