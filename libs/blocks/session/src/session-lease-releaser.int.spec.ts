import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@memsidecar/config';
import { DEFAULT_LIMITS, ManualClock, MemError, type StoredEvent } from '@memsidecar/core';
import { validateInput, type BlockDependencies, type RequestContext } from '@memsidecar/api';
import { AggregateRuntime, type EventStore } from '@memsidecar/event-store';
import { ProjectionRunner, ReadModels, type Database, withRequestLedger } from '@memsidecar/projections';
import { integrationErasure, openIntegrationInfra, type IntegrationInfra } from '@memsidecar/testing';
import { LeaseEntries1763769600300, LeaseEntry, leaseOperations, leaseProjection, leaseSubject, sessionEndReleaseRequestId } from '@memsidecar/lease';
import { SessionEntries1763769600400 } from './migrations/1763769600400-session-entries';
import { SessionEntry } from './session-entry.entity';
import { sessionAddress, sessionAggregate } from './session.aggregate';
import { sessionOperations } from './session.operations';
import { sessionProjection } from './session.projection';
import { hashSessionToken } from './session-token';
import { SESSION_LEASE_RELEASE_CHECKPOINT, SessionLeaseReleaser } from './session-lease-releaser';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { log: () => {}, warn: () => {}, error: () => {} };

/**
 * The session lease releaser in-process on real NATS and a real database: sessions ended by
 * appending their event straight through the runtime, as if the instance had crashed before its
 * inline release, get their leases released by the follower, once.
 */
describe.each(['postgres', 'pglite'] as const)('session lease releaser - the crash-safe release of an ended session\'s leases on %s', (kind) => {
  let infra: IntegrationInfra;
  let store: EventStore;
  let db: Database;
  let readModels: ReadModels;
  let deps: BlockDependencies;
  const workers: SessionLeaseReleaser[] = [];
  const clock = new ManualClock();

  const runtime = () =>
    new AggregateRuntime(store, readModels, { prefix: 'mem', cachedAggregates: 1000, conflictRetries: 20, rememberedRequests: 100 }, (block, seq) =>
      readModels.noteAppended(block, seq),
    );

  beforeAll(async () => {
    infra = await openIntegrationInfra(kind, { entities: [SessionEntry, LeaseEntry], migrations: [SessionEntries1763769600400, LeaseEntries1763769600300] });
    ({ store, db } = infra);
    readModels = new ReadModels(withRequestLedger([sessionProjection, leaseProjection]).map((p) => new ProjectionRunner(p, store, db, quiet)), db, 5000);
    await readModels.start();
    deps = { runtime: runtime(), readModels, db, store, jetStream: store, limits: DEFAULT_LIMITS, erasure: integrationErasure(infra, readModels), config: loadConfig({}), instanceId: 'test-a', clock, logger: quiet };
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });

  afterAll(async () => {
    await readModels?.stop();
    await infra?.close();
  });

  const ctx = (sessionId?: string): RequestContext => ({
    principal: { tenant: 't', agent: 'agent', namespaces: ['*'], ops: ['*'], tokenId: '', expiresAt: null },
    now: clock.now(),
    transport: 'test',
    sessionId,
  });
  const call = async (op: string, body: Record<string, unknown>, sessionId?: string) => {
    const operation = [...sessionOperations(deps), ...leaseOperations(deps)].find((o) => o.name === op)!;
    return (await operation.handle(validateInput(operation.input, body), ctx(sessionId))) as any;
  };
  const held = async (ns: string, key: string) => (await call('lease.inspect', { ns, key })).held as boolean;
  const logOf = async (ns: string, key: string): Promise<StoredEvent[]> => {
    const events: StoredEvent[] = [];
    for await (const e of store.read({ filter: leaseSubject('mem', 't', ns, key) })) events.push(e);
    return events;
  };
  const releaser = (d: BlockDependencies = deps) => {
    const w = new SessionLeaseReleaser(d);
    workers.push(w);
    w.start();
    return w;
  };
  const checkpoint = async () => Number((await db.query<{ seq: string }>(`SELECT seq FROM mem_checkpoints WHERE name = $1`, [SESSION_LEASE_RELEASE_CHECKPOINT]))[0]?.seq ?? 0);
  const resetCheckpoint = () => db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = $1`, [SESSION_LEASE_RELEASE_CHECKPOINT]);

  /** Appends the session's end as the operation or the detector would, and stops there: the "crash". */
  const closeWithoutRelease = async (sessionId: string, sessionToken: string) =>
    (await deps.runtime.handle(sessionAggregate, sessionAddress('t', sessionId), { type: 'CloseSession', tokenHash: hashSessionToken(sessionToken) }, { now: clock.now(), tenant: 't', agent: 'agent' })).event!;

  const openWithLeases = async (sessionId: string, ns: string, keys: string[], o: Record<string, unknown> = {}) => {
    const s = await call('session.open', { sessionId, ...o });
    for (const key of keys) await call('lease.acquire', { ns, key, ttlMs: 60_000 }, sessionId);
    return s as { sessionToken: string };
  };

  it('releases the leases of a session closed without the inline release, and moves its checkpoint past it', async () => {
    const s = await openWithLeases('crashed', 'c', ['a', 'b']);
    await call('lease.acquire', { ns: 'c', key: 'unbound', ttlMs: 60_000 });
    const closed = await closeWithoutRelease('crashed', s.sessionToken);
    expect(closed.type).toBe('session.closed');
    await sleep(300);
    expect(await held('c', 'a')).toBe(true);

    const w = releaser();
    expect(await w.waitFor(closed.seq, 10_000)).toBe(true);
    expect(await held('c', 'a')).toBe(false);
    expect(await held('c', 'b')).toBe(false);
    expect(await held('c', 'unbound')).toBe(true);
    const last = (await logOf('c', 'a')).at(-1)!;
    expect(last).toMatchObject({ type: 'lease.released', data: { reason: 'session_closed', sessionId: 'crashed' } });
    expect(last.requestId).toBe(sessionEndReleaseRequestId({ eventId: closed.id, seq: closed.seq }, 'c', 'a'));
    await w.stop();
    expect(await checkpoint()).toBeGreaterThanOrEqual(closed.seq);
  });

  it('redone from the start by two instances at once, nothing is released twice', async () => {
    const s = await openWithLeases('twice', 'd', ['x', 'y']);
    const closed = await closeWithoutRelease('twice', s.sessionToken);
    await resetCheckpoint();
    const [a, b] = [releaser(), releaser({ ...deps, runtime: runtime(), instanceId: 'test-b' })];
    expect(await a.waitFor(closed.seq, 10_000)).toBe(true);
    expect(await b.waitFor(closed.seq, 10_000)).toBe(true);
    await Promise.all([a.stop(), b.stop()]);
    // And once more, after "a crash" that lost the checkpoint.
    await resetCheckpoint();
    expect(await releaser().waitFor(closed.seq, 10_000)).toBe(true);
    for (const key of ['x', 'y']) expect((await logOf('d', key)).map((e) => e.type)).toEqual(['lease.acquired', 'lease.released']);
    // The crashed session of the first test too: still one release each.
    for (const key of ['a', 'b']) expect((await logOf('c', key)).map((e) => e.type)).toEqual(['lease.acquired', 'lease.released']);
  });

  it('the inline release of session.close and the follower release each lease once, and the reply counts them', async () => {
    const w = releaser();
    const s = await openWithLeases('inline', 'i', ['p', 'q']);
    const closed = await call('session.close', { sessionId: 'inline', sessionToken: s.sessionToken });
    expect(closed).toMatchObject({ closed: true, releasedLeases: 2 });
    expect(await w.waitFor(closed.seq, 10_000)).toBe(true);
    for (const key of ['p', 'q']) expect((await logOf('i', key)).map((e) => e.type)).toEqual(['lease.acquired', 'lease.released']);
  });

  it('releases the leases of a session recorded as orphaned without the inline release', async () => {
    await openWithLeases('orphan', 'o', ['k'], { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 200 });
    await clock.advance(300);
    const { event } = await deps.runtime.handle(sessionAggregate, sessionAddress('t', 'orphan'), { type: 'OrphanSession', detectedBy: 'test' }, { now: clock.now(), tenant: 't', agent: 'memsidecar' });
    expect(event?.type).toBe('session.orphaned');
    expect(await releaser().waitFor(event!.seq, 10_000)).toBe(true);
    // The lease outlives the session by far: it was released, not lapsed.
    expect((await logOf('o', 'k')).at(-1)).toMatchObject({ type: 'lease.released', data: { reason: 'session_orphaned', sessionId: 'orphan' } });
  });

  it('a late release for a session opened again under the same id leaves the leases of its new life alone', async () => {
    const first = await openWithLeases('again', 'r', ['old']);
    const closed = await closeWithoutRelease('again', first.sessionToken);
    await openWithLeases('again', 'r', ['new']);
    await resetCheckpoint();
    const reopened = await store.lastSeq('mem.evt.session.>');
    expect(reopened).toBeGreaterThan(closed.seq);
    expect(await releaser().waitFor(reopened, 10_000)).toBe(true);
    expect(await held('r', 'old')).toBe(false);
    expect(await held('r', 'new')).toBe(true);
  });

  it('retries the same event while the read models are unavailable, and moves on only once it is done', async () => {
    const s = await openWithLeases('outage', 'u', ['z']);
    const w0 = releaser();
    await w0.waitFor(await store.lastSeq('mem.evt.session.>'), 10_000);
    await w0.stop();

    let failing = true;
    let refused = 0;
    const flaky = Object.create(readModels) as ReadModels;
    flaky.ready = async (block, minSeq, waitMs) => {
      if (failing) {
        refused++;
        throw new MemError('UNAVAILABLE', 'the read-model database is unreachable; nothing was read');
      }
      return readModels.ready(block, minSeq, waitMs);
    };
    const closed = await closeWithoutRelease('outage', s.sessionToken);
    const w = releaser({ ...deps, readModels: flaky });
    expect(await w.waitFor(closed.seq, 1_500)).toBe(false);
    expect(refused).toBeGreaterThanOrEqual(3);
    expect(w.position).toBeLessThan(closed.seq);
    expect(await checkpoint()).toBeLessThan(closed.seq);
    expect(await held('u', 'z')).toBe(true);

    failing = false;
    expect(await w.waitFor(closed.seq, 10_000)).toBe(true);
    expect(await held('u', 'z')).toBe(false);
    expect(await checkpoint()).toBeGreaterThanOrEqual(closed.seq);
  });
});
