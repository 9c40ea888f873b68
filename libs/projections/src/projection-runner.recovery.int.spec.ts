import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { MemError } from '@memsidecar/core';
import { AggregateRuntime, EventStore } from '@memsidecar/event-store';
import { kvAggregate, kvProjection, type KvEvent, kvBlock } from '@memsidecar/kv';
import { TcpProxy, createTestDatabase, openIntegrationInfra, startRestartableNats, until, waitFor, type IntegrationInfra, type RestartableNats, type TestDatabase } from '@memsidecar/testing';
import { AppliedRequest, BOOKKEEPING_MIGRATIONS, Database, ProjectionCheckpoint, ProjectionErrors, ProjectionRunner, ReadModels, withRequestLedger, type Projection } from './index';

const quiet = { log: () => {}, warn: () => {}, error: () => {} };
const kvReadModel = { entities: kvBlock.entities, migrations: kvBlock.migrations };
const runtimeOf = (store: EventStore) =>
  new AggregateRuntime(store, { find: async () => null }, { prefix: 'mem', cachedAggregates: 1000, conflictRetries: 5, rememberedRequests: 10 });
const put = (runtime: AggregateRuntime, key: string, value: unknown, requestId?: string) =>
  runtime.handle(kvAggregate, { tenant: 'acme', ns: 'n', entity: key }, { type: 'PutValue', value }, { now: new Date(), tenant: 'acme', agent: 'a', requestId });
const seqOf = async (handled: ReturnType<typeof put>) => (await handled).event!.seq;

describe('projections - a read model follows the log again after nats-server restarts', () => {
  let server: RestartableNats;
  let nc: NatsConnection;
  let pg: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    server = await startRestartableNats();
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    pg = await createTestDatabase();
    db = await Database.open({ url: pg.url, pgliteDir: 'memory://', entities: [ProjectionCheckpoint, AppliedRequest, ...kvBlock.entities], migrations: [...BOOKKEEPING_MIGRATIONS, ...kvBlock.migrations], logger: quiet });
  });

  afterAll(async () => {
    await db?.close();
    await pg?.drop();
    await nc?.close();
    await server?.stop();
  });

  it('applies what is appended after the restart, long before the client default pull expiry', async () => {
    const store = await EventStore.open(nc, { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 });
    const runtime = runtimeOf(store);
    const runner = new ProjectionRunner(kvProjection, store, db, quiet);
    await runner.start();
    await runner.waitFor(await seqOf(put(runtime, 'before', 1)), 5_000);

    await server.restart();
    await waitFor(() => store.lastSeq('mem.evt.>'), () => true, 20_000);

    const after = await seqOf(put(runtime, 'after', 2));
    // The old consumer is gone with the server; the client's own defaults would notice after 30-60 s.
    await runner.waitFor(after, 10_000);
    expect(runner.state.state).toBe('current');
    const rows = await db.query<{ key: string }>(`SELECT key FROM kv_entries ORDER BY key`);
    expect(rows.map((r) => r.key)).toEqual(['after', 'before']);
    await runner.stop();
  }, 60_000);
});

describe.each(['postgres', 'pglite'] as const)('projections - an event a read model cannot apply is parked on %s', (kind) => {
  let infra: IntegrationInfra;
  let failing = true;
  /** The kv read model, except that a value `{poison: true}` fails while `failing` is set. */
  const fragile: Projection<KvEvent> = {
    ...kvProjection,
    async apply(sql, events) {
      if (failing && events.some((e) => (e.data as { value?: { poison?: boolean } }).value?.poison)) throw new Error('cannot apply a poisoned value');
      await kvProjection.apply(sql, events);
    },
  };

  beforeAll(async () => {
    infra = await openIntegrationInfra(kind, kvReadModel);
  });

  afterAll(async () => {
    await infra?.close();
  });

  const parkedAfter = async (key: string) => {
    const runtime = runtimeOf(infra.store);
    const good = await seqOf(put(runtime, `${key}-good`, 1));
    const poisoned = await seqOf(put(runtime, `${key}-poison`, { poison: true }));
    const later = await seqOf(put(runtime, `${key}-later`, 3));
    const runner = new ProjectionRunner(fragile, infra.store, infra.db, quiet);
    await runner.start();
    await until(() => runner.state.state === 'parked', 20_000);
    return { runner, good, poisoned, later };
  };

  it('applies the events before it, stops at it, records it, refuses reads that need it, and moves past it on skip', async () => {
    failing = true;
    const { runner, good, poisoned, later } = await parkedAfter('skip');
    expect(runner.applied).toBe(good);
    const errors = new ProjectionErrors(infra.db);
    await until(async () => (await errors.list()).length === 1, 5_000);
    expect((await errors.list())[0]).toMatchObject({ name: 'kv_entries', seq: poisoned, status: 'open', eventType: 'kv.value_set' });
    expect((await errors.list())[0].attempts).toBeGreaterThanOrEqual(5);
    await expect(runner.waitFor(later, 5_000)).rejects.toMatchObject({ code: 'UNAVAILABLE', reason: 'READ_MODEL_PARKED' });

    expect(await errors.request('skip', 'kv_entries')).toBe(1);
    await until(() => runner.state.state !== 'parked', 10_000);
    await runner.waitFor(later, 10_000);
    expect(runner.state.state).toBe('current');
    expect((await errors.list({ all: true })).find((e) => e.seq === poisoned)).toMatchObject({ status: 'skipped' });
    const keys = (await infra.db.query<{ key: string }>(`SELECT key FROM kv_entries WHERE key LIKE 'skip-%' ORDER BY key`)).map((r) => r.key);
    expect(keys).toEqual(['skip-good', 'skip-later']);
    await runner.stop();
  }, 60_000);

  it('applies it on retry once the cause is gone', async () => {
    failing = true;
    const { runner, poisoned, later } = await parkedAfter('retry');
    const errors = new ProjectionErrors(infra.db);
    await until(async () => (await errors.list()).some((e) => e.seq === poisoned), 5_000);
    failing = false;
    expect(await errors.request('retry', 'kv_entries', poisoned)).toBe(1);
    await until(() => runner.state.state !== 'parked', 10_000);
    await runner.waitFor(later, 10_000);
    expect((await errors.list({ all: true })).find((e) => e.seq === poisoned)).toMatchObject({ status: 'resolved' });
    const keys = (await infra.db.query<{ key: string }>(`SELECT key FROM kv_entries WHERE key LIKE 'retry-%' ORDER BY key`)).map((r) => r.key);
    expect(keys).toEqual(['retry-good', 'retry-later', 'retry-poison']);
    await runner.stop();
  }, 60_000);
});

describe('projections - while the database is unreachable', () => {
  let infra: IntegrationInfra;
  let pg: TestDatabase;
  let proxy: TcpProxy;
  let db: Database;

  beforeAll(async () => {
    infra = await openIntegrationInfra('pglite', kvReadModel);
    pg = await createTestDatabase();
    const url = new URL(pg.url);
    proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    db = await Database.open({ url: url.toString(), pgliteDir: 'memory://', entities: [ProjectionCheckpoint, AppliedRequest, ...kvBlock.entities], migrations: [...BOOKKEEPING_MIGRATIONS, ...kvBlock.migrations], logger: quiet });
  });

  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await pg?.drop();
    await infra?.close();
  });

  it('reads answer UNAVAILABLE at once, retried request ids are answered from the log, and the read model catches up when it returns', async () => {
    const [ledger, runner] = withRequestLedger([kvProjection]).map((p) => new ProjectionRunner(p, infra.store, db, quiet));
    const readModels = new ReadModels([ledger, runner], db, 5_000);
    await readModels.start();
    const runtime = new AggregateRuntime(infra.store, readModels, { prefix: 'mem', cachedAggregates: 1000, conflictRetries: 5, rememberedRequests: 10 }, (block, seq) =>
      readModels.noteAppended(block, seq),
    );
    const first = await runtime.handle(kvAggregate, { tenant: 'acme', ns: 'n', entity: 'a' }, { type: 'PutValue', value: 1 }, { now: new Date(), tenant: 'acme', agent: 'a', requestId: 'req-1' });
    await readModels.ready('kv');

    proxy.cut();
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(MemError);
    expect(db.available).toBe(false);
    const started = Date.now();
    await expect(readModels.ready('kv')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(1_000);

    // A retry of a request applied before the outage finds its original event; a new id is new.
    expect(await readModels.find('acme', 'req-1', 0)).toBe(first.event!.seq);
    expect(await readModels.find('acme', 'never-used', 0)).toBeNull();
    const during = await runtime.handle(kvAggregate, { tenant: 'acme', ns: 'n', entity: 'b' }, { type: 'PutValue', value: 2 }, { now: new Date(), tenant: 'acme', agent: 'a', requestId: 'req-2' });
    expect(during.replayed).toBe(false);
    await until(() => runner.state.state === 'database_unavailable', 5_000);

    proxy.restore();
    await until(() => db.available, 10_000);
    await runner.waitFor(during.event!.seq, 10_000);
    expect((await db.query<{ key: string }>(`SELECT key FROM kv_entries ORDER BY key`)).map((r) => r.key)).toEqual(['a', 'b']);
    await readModels.stop();
  }, 60_000);

  it('a request ledger that did not see the whole log cannot vouch for an unknown request id', async () => {
    const runners = withRequestLedger([kvProjection]).map((p) => new ProjectionRunner(p, infra.store, db, quiet));
    const readModels = new ReadModels(runners, db, 5_000);
    await readModels.start();
    expect(runners[0].receivedWholeLog).toBe(false); // it started from its checkpoint, not the log's first event
    proxy.cut();
    await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(MemError);
    await expect(readModels.find('acme', 'unknown', 0)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    proxy.restore();
    await until(() => db.available, 10_000);
    await readModels.stop();
  }, 60_000);
});

