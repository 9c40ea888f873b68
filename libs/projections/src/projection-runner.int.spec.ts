import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregateRuntime, EventStore } from '@memsidecar/event-store';
import { kvAggregate, kvProjection, kvBlock } from '@memsidecar/kv';
import { openIntegrationInfra, type IntegrationInfra } from '@memsidecar/testing';
import { Database, ProjectionRunner } from './index';

const logger = { log: () => {}, error: (m: string) => console.error(m) };
const SNAPSHOT = `SELECT tenant, ns, key, value::text, version, created_at, updated_at, expires_at, metadata, seq FROM kv_entries ORDER BY tenant, ns, key`;

describe.each(['postgres', 'pglite'] as const)('projections - kv read model on %s', (kind) => {
  let infra: IntegrationInfra;
  let store: EventStore;
  let db: Database;

  beforeAll(async () => {
    infra = await openIntegrationInfra(kind, { entities: kvBlock.entities, migrations: kvBlock.migrations });
    ({ store, db } = infra);
    const runtime = new AggregateRuntime(store, { find: async () => null }, { prefix: 'mem', cachedAggregates: 1000, conflictRetries: 5, rememberedRequests: 10 });
    const meta = (i: number) => ({ now: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), tenant: i % 3 ? 'acme' : 'globex', agent: 'a', requestId: `r${i}` });
    for (let i = 0; i < 120; i++) {
      const address = { tenant: meta(i).tenant, ns: 'n', entity: `k${i % 17}` };
      const command = i % 11 === 10 ? ({ type: 'DeleteValue' } as const) : ({ type: 'PutValue', value: { i }, ttlMs: i % 5 ? undefined : 3600_000 } as const);
      await runtime.handle(kvAggregate, address, command, meta(i));
    }
  });

  afterAll(async () => {
    await infra?.close();
  });

  const project = async () => {
    const runner = new ProjectionRunner(kvProjection, store, db, logger);
    await runner.start();
    await runner.catchUp(30_000);
    await runner.stop();
    return runner;
  };

  it('applies the log, and replaying it again over the same rows changes nothing', async () => {
    const first = await project();
    const rows = await db.query(SNAPSHOT);
    expect(rows.length).toBeGreaterThan(10);
    expect(first.applied).toBe(await store.lastSeq('mem.evt.kv.>'));

    await db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = $1`, ['kv_entries']);
    await project();
    expect(await db.query(SNAPSHOT)).toEqual(rows);

    await db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = $1`, ['kv_entries']);
    await project();
    expect(await db.query(SNAPSHOT)).toEqual(rows);
  });

  it('dropping the rows and rebuilding from the log gives the same state', async () => {
    const rows = await db.query(SNAPSHOT);
    await db.query(`TRUNCATE kv_entries`);
    await db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = $1`, ['kv_entries']);
    await project();
    expect(await db.query(SNAPSHOT)).toEqual(rows);
  });

  it('an instance starting late skips what another one already applied', async () => {
    const a = new ProjectionRunner(kvProjection, store, db, logger);
    const b = new ProjectionRunner(kvProjection, store, db, logger);
    await db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = $1`, ['kv_entries']);
    const rows = await db.query(SNAPSHOT);
    await Promise.all([a.start(), b.start()]);
    await Promise.all([a.catchUp(30_000), b.catchUp(30_000)]);
    await Promise.all([a.stop(), b.stop()]);
    expect(await db.query(SNAPSHOT)).toEqual(rows);
    expect(await a.checkpoint()).toBe(await store.lastSeq('mem.evt.kv.>'));
  });

  it('with untilSeq applies the log only up to that sequence, and a runner without it continues from there', async () => {
    const rows = await db.query(SNAPSHOT);
    const untilSeq = Math.floor((await store.lastSeq('mem.evt.kv.>')) / 2);
    await db.query(`TRUNCATE kv_entries`);
    await db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = $1`, ['kv_entries']);
    const partial = new ProjectionRunner(kvProjection, store, db, logger, { untilSeq });
    await partial.start();
    await partial.catchUp(30_000);
    await partial.stop();
    expect(partial.applied).toBe(untilSeq);
    expect(await partial.checkpoint()).toBe(untilSeq);
    const [{ newest }] = await db.query<{ newest: string }>(`SELECT max(seq) AS newest FROM kv_entries`);
    expect(Number(newest)).toBeLessThanOrEqual(untilSeq);

    await project();
    expect(await db.query(SNAPSHOT)).toEqual(rows);
  });
});
