import { loadConfig } from '@memsidecar/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, ManualClock, type StoredEvent } from '@memsidecar/core';
import { validateInput, type BlockDependencies, type RequestContext } from '@memsidecar/api';
import { AggregateRuntime, EventStore } from '@memsidecar/event-store';
import { Database, ProjectionRunner, ReadModels, withRequestLedger } from '@memsidecar/projections';
import { integrationErasure, openIntegrationInfra, waitFor, type IntegrationInfra } from '@memsidecar/testing';
import { LeaseEntries1763769600300, LeaseEntry, leaseExpiryWorker, leaseOperations, leaseProjection, leaseSubject, releaseSessionLeases } from './index';

const logger = { log: () => {}, warn: () => {}, error: (m: string) => console.error(m) };
const SNAPSHOT = `SELECT tenant, ns, key, holder_id, holder, fencing_token, acquired_at, expires_at, ttl_ms, metadata, session_id, status, seq FROM lease_entries ORDER BY tenant, ns, key`;

/**
 * The lease block in-process on real NATS and a real database, without the service around it:
 * what the e2e tests cannot reach yet (session-bound leases), several instances' workers at once,
 * and a waiting acquire woken through the JetStream adapter of the event log.
 */
describe.each(['postgres', 'pglite'] as const)('lease - session release, expiry worker and read model on %s', (kind) => {
  let infra: IntegrationInfra;
  let store: EventStore;
  let db: Database;
  let readModels: ReadModels;
  let deps: BlockDependencies;
  const clock = new ManualClock();

  const runtime = () =>
    new AggregateRuntime(store, readModels, { prefix: 'mem', cachedAggregates: 1000, conflictRetries: 20, rememberedRequests: 100 }, (block, seq) =>
      readModels.noteAppended(block, seq),
    );

  beforeAll(async () => {
    infra = await openIntegrationInfra(kind, { entities: [LeaseEntry], migrations: [LeaseEntries1763769600300] });
    ({ store, db } = infra);
    readModels = new ReadModels(withRequestLedger([leaseProjection]).map((p) => new ProjectionRunner(p, store, db, logger)), db, 5000);
    await readModels.start();
    deps = { runtime: runtime(), readModels, db, store, limits: DEFAULT_LIMITS, erasure: integrationErasure(infra, readModels), config: loadConfig({}), instanceId: 'test-a', clock, logger };
  });

  afterAll(async () => {
    await readModels?.stop();
    await infra?.close();
  });

  const call = async (op: string, body: Record<string, unknown>, sessionId?: string) => {
    const operation = leaseOperations(deps).find((o) => o.name === op)!;
    const ctx: RequestContext = { principal: { tenant: 't', agent: 'agent', namespaces: ['*'], ops: ['*'], tokenId: '', expiresAt: null }, now: clock.now(), transport: 'test', sessionId };
    return (await operation.handle(validateInput(operation.input, body), ctx)) as any;
  };

  const logOf = async (ns: string, key: string): Promise<StoredEvent[]> => {
    const events: StoredEvent[] = [];
    for await (const e of store.read({ filter: leaseSubject('mem', 't', ns, key) })) events.push(e);
    return events;
  };

  it('a session-bound lease records its session; ending the session releases exactly its live leases', async () => {
    const a = await call('lease.acquire', { ns: 's', key: 'a', ttlMs: 30_000 }, 's1');
    await call('lease.acquire', { ns: 's', key: 'b', ttlMs: 30_000 }, 's1');
    await call('lease.acquire', { ns: 's', key: 'theirs', ttlMs: 30_000 }, 's2');
    await call('lease.acquire', { ns: 's', key: 'plain', ttlMs: 30_000 });
    await call('lease.acquire', { ns: 's', key: 'lapsed', ttlMs: 100 }, 's1');
    await clock.advance(150);
    const taker = await call('lease.acquire', { ns: 's', key: 'lapsed', ttlMs: 30_000 });

    expect((await logOf('s', 'a'))[0]).toMatchObject({ sessionId: 's1', data: { sessionId: 's1', holderId: a.holderId } });
    await readModels.ready('lease');
    const bound = await db.query<{ key: string }>(`SELECT key FROM lease_entries WHERE tenant = 't' AND session_id = 's1' AND status = 'held' ORDER BY key`);
    expect(bound.map((r) => r.key)).toEqual(['a', 'b']);

    const meta = { now: clock.now(), tenant: 't', agent: 'memsidecar', requestId: 'close-1' };
    expect(await releaseSessionLeases(deps, 't', 's1', 'session_closed', meta)).toBe(2);
    expect((await logOf('s', 'a')).at(-1)).toMatchObject({ type: 'lease.released', data: { reason: 'session_closed', sessionId: 's1', holderId: a.holderId, status: 'released' } });
    expect((await logOf('s', 'b')).at(-1)).toMatchObject({ type: 'lease.released', data: { reason: 'session_closed', sessionId: 's1' } });
    for (const key of ['a', 'b']) expect(await call('lease.inspect', { ns: 's', key })).toEqual({ held: false });
    expect(await call('lease.inspect', { ns: 's', key: 'theirs' })).toMatchObject({ held: true });
    expect(await call('lease.inspect', { ns: 's', key: 'plain' })).toMatchObject({ held: true });
    expect(await call('lease.inspect', { ns: 's', key: 'lapsed' })).toMatchObject({ held: true, holderId: taker.holderId });

    expect(await releaseSessionLeases(deps, 't', 's1', 'session_closed', meta)).toBe(0);
    expect(await releaseSessionLeases(deps, 't', 's2', 'session_orphaned', meta)).toBe(1);
    expect((await logOf('s', 'theirs')).at(-1)).toMatchObject({ data: { reason: 'session_orphaned', sessionId: 's2' } });
  });

  it('workers of several instances record each lapse in the log exactly once, and stop when told', async () => {
    const keys = ['e1', 'e2', 'e3', 'e4', 'e5'];
    for (const key of keys) await call('lease.acquire', { ns: 'w', key, ttlMs: 100 });
    await clock.advance(150);
    // The first sweep must find every lapse: the read model holds the acquisitions before it runs.
    await readModels.ready('lease');
    const workers = [leaseExpiryWorker(deps), leaseExpiryWorker({ ...deps, runtime: runtime(), instanceId: 'test-b' })];
    for (const w of workers) w.start();
    try {
      // Each worker sleeps once its sweep is done.
      await clock.whenSleeping(workers.length);
      await readModels.ready('lease');
      const rows = await db.query<{ status: string }>(`SELECT status FROM lease_entries WHERE tenant = 't' AND ns = 'w'`);
      expect(rows.map((r) => r.status)).toEqual(keys.map(() => 'expired'));
      // One more sweep by each worker: nothing is recorded twice.
      await clock.advance(1_000);
      await clock.whenSleeping(workers.length);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    for (const key of keys) expect((await logOf('w', key)).map((e) => e.type)).toEqual(['lease.acquired', 'lease.expired']);
  });

  it('a waiting acquire wakes at the release through a consumer of the log, removed once the wait ends', async () => {
    const subject = leaseSubject('mem', 't', 'wait', 'k');
    /** The consumers following the lease's subject alone: the waiter's. */
    const consumers = async () =>
      (await store.jsm.consumers.list(store.stream).next()).filter((c) => c.config.filter_subject === subject || c.config.filter_subjects?.includes(subject)).map((c) => c.name);
    const first = await call('lease.acquire', { ns: 'wait', key: 'k', ttlMs: 30_000 });
    const started = clock.now();
    const waiting = call('lease.acquire', { ns: 'wait', key: 'k', ttlMs: 1_000, waitMs: 10_000 });
    await clock.whenSleeping(1);
    expect(await waitFor(consumers, (names) => names.length === 1)).toHaveLength(1);
    await call('lease.release', { ns: 'wait', key: 'k', holderId: first.holderId });
    const second = await waiting;
    expect(second).toMatchObject({ fencingToken: first.fencingToken + 1, acquiredAt: started.toISOString() });
    expect(await waitFor(consumers, (names) => names.length === 0)).toEqual([]);
  });

  it('rebuilding the read model from the log gives the same rows', async () => {
    await readModels.ready('lease');
    const rows = await db.query(SNAPSHOT);
    expect(rows.length).toBeGreaterThan(5);
    await readModels.stop();
    await db.query(`TRUNCATE lease_entries`);
    await db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = $1`, ['lease_entries']);
    const runner = new ProjectionRunner(leaseProjection, store, db, logger);
    await runner.start();
    await runner.catchUp(30_000);
    await runner.stop();
    expect(await db.query(SNAPSHOT)).toEqual(rows);
  });
});
