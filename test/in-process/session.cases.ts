import { beforeAll, expect, it } from 'vitest';
import { aggregateSubject, type StoredEvent } from '@memsidecar/core';
import type { InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';


/**
 * Sessions' behaviour through the dispatcher, the runtime and the read models, in one process over
 * the in-memory log, on a manual clock that drives the orphan detector; declared on PGlite
 * (session.spec.ts) and on Postgres (session.int.spec.ts). Several instances sharing the log, a
 * killed instance and the service's own log lines stay in test/session.e2e.spec.ts.
 */
export const sessionCases: InProcessCases = (service) => {
  let svc: InProcessService;
  beforeAll(() => {
    svc = service();
  });

  const inSession = (s: { sessionId: string; sessionToken: string }) => ({ sessionId: s.sessionId, sessionToken: s.sessionToken });
  const logOf = async (sessionId: string): Promise<StoredEvent[]> => {
    const events: StoredEvent[] = [];
    const filter = aggregateSubject(svc.log.prefix, { block: 'session', tenant: 'default', ns: 'default', entity: sessionId });
    for await (const e of svc.log.read({ filter })) events.push(e);
    return events;
  };
  /**
   * Acquires the leases through `lease.acquire`, in the session (its Mem-Session-Id and token) or
   * outside any, then waits until the read models hold them: the detector and the releases read them there.
   */
  const acquireLeases = async (ns: string, keys: string[], session: { sessionId: string; sessionToken: string } | null) => {
    for (const key of keys) {
      const acquired = await svc.when('lease.acquire', { ns, key, ttlMs: 60_000 }, session ? inSession(session) : {});
      expect(acquired.events).toMatchObject([{ type: 'lease.acquired', entity: key, data: { sessionId: session?.sessionId ?? null } }]);
    }
    await svc.readModels.catchUp(10_000);
  };
  /** Moves the clock by `ms` and lets each worker finish the round that woke, then the read models take in what it wrote. */
  const advance = async (ms: number) => {
    await svc.clock.advance(ms);
    await svc.idle();
    await svc.readModels.catchUp(10_000);
  };

  it('open, heartbeat, checkpoint, close and get, with lineage', async () => {
    const parent = await svc.ok('session.open', { agent: 'planner' });
    expect(parent).toMatchObject({ sessionId: expect.any(String), sessionToken: expect.any(String), heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 25_000, warnings: [] });
    const child = await svc.ok('session.open', { sessionId: 'child-1', parentSessionId: parent.sessionId, metadata: { reason: 'branch' } });
    await svc.clock.advance(1_000);
    const beat = await svc.ok('session.heartbeat', { sessionId: 'child-1', sessionToken: child.sessionToken });
    expect(Date.parse(beat.expiresAt) - Date.parse(child.expiresAt)).toBe(1_000);
    await svc.ok('session.checkpoint', { sessionId: 'child-1', sessionToken: child.sessionToken, state: { step: 1 }, turn: 4 });
    expect(await svc.ok('session.get', { sessionId: 'child-1' })).toMatchObject({
      status: 'open', parentSessionId: parent.sessionId, metadata: { reason: 'branch' }, lastCheckpoint: { state: { step: 1 }, turn: 4 },
    });
    const closed = await svc.when('session.close', { sessionId: 'child-1', sessionToken: child.sessionToken, state: { step: 'final' } });
    expect(closed).toMatchObject({ ok: true, body: { closed: true, seq: expect.any(Number) }, events: [{ type: 'session.closed', entity: 'child-1' }] });
    expect(await svc.ok('session.get', { sessionId: 'child-1' })).toMatchObject({ status: 'closed', lastCheckpoint: { state: { step: 'final' }, turn: 4 }, closedAt: expect.any(String) });
    expect(await svc.when('session.get', { sessionId: 'never-opened' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('a closed session or a stale token is FAILED_PRECONDITION/SESSION_CLOSED and changes nothing', async () => {
    const first = await svc.ok('session.open', { sessionId: 'rotating' });
    const second = await svc.ok('session.open', { sessionId: 'rotating' });
    expect(second.sessionToken).not.toBe(first.sessionToken);
    const stale = await svc.when('session.heartbeat', { sessionId: 'rotating', sessionToken: first.sessionToken });
    expect(stale).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'SESSION_CLOSED' }, events: [] });
    const staleWrite = await svc.when('kv.put', { ns: 'sess', key: 'stale', value: 1 }, inSession({ sessionId: 'rotating', sessionToken: first.sessionToken }));
    expect(staleWrite).toMatchObject({ error: { reason: 'SESSION_CLOSED' }, events: [] });
    expect(await svc.ok('kv.get', { ns: 'sess', key: 'stale' })).toEqual({ found: false });
    await svc.ok('session.close', { sessionId: 'rotating', sessionToken: second.sessionToken });
    expect(await svc.when('session.checkpoint', { sessionId: 'rotating', sessionToken: second.sessionToken, state: 1 })).toMatchObject({ error: { reason: 'SESSION_CLOSED' }, events: [] });
    expect(await svc.when('session.close', { sessionId: 'rotating', sessionToken: second.sessionToken })).toMatchObject({ error: { reason: 'SESSION_CLOSED' }, events: [] });
  });

  it('writes carrying the session headers are attributed to the session in their events', async () => {
    const s = await svc.ok('session.open', { sessionId: 'attributed' });
    const put = await svc.when('kv.put', { ns: 'sess', key: 'k', value: 1 }, inSession(s));
    expect(put.events).toMatchObject([{ seq: put.body.seq, sessionId: 'attributed', type: 'kv.value_set' }]);
    expect(await svc.when('kv.put', { ns: 'sess', key: 'k', value: 1 }, { sessionId: 'attributed' })).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', details: { field: 'Mem-Session-Token' } },
      events: [],
    });
  });

  it('honours the deprecated timeoutMs and says what replaces it in the reply', async () => {
    const s = await svc.ok('session.open', { heartbeatIntervalMs: 1000, timeoutMs: 7000 });
    expect(s.heartbeatTimeoutMs).toBe(7000);
    expect(s.warnings.join(' ')).toMatch(/timeoutMs is deprecated.*heartbeatTimeoutMs/);
    const both = await svc.ok('session.open', { heartbeatIntervalMs: 1000, timeoutMs: 7000, heartbeatTimeoutMs: 9000 });
    expect(both.heartbeatTimeoutMs).toBe(9000);
  });

  it.each([
    ['timeout not above interval', { heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 5000 }, 'heartbeatTimeoutMs'],
    ['unknown onOrphan', { onOrphan: 'explode' }, 'onOrphan'],
    ['misspelled key', { on_orhpan: 'abort_quietly' }, 'on_orhpan'],
    ['bad session id', { sessionId: 'has space' }, 'sessionId'],
  ])('open with %s is INVALID_ARGUMENT naming the field', async (_n, body, field) => {
    expect(await svc.when('session.open', body)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
  });

  it.each([
    ['checkpoint_and_close', true],
    ['abort_quietly', false],
  ] as const)('a session whose heartbeats stop is orphaned within half its timeout (%s)', async (onOrphan, writesCheckpoint) => {
    const id = `orphan-${onOrphan}`;
    const s = await svc.ok('session.open', { sessionId: id, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600, onOrphan });
    await svc.ok('session.checkpoint', { sessionId: id, sessionToken: s.sessionToken, state: { progress: 42 }, turn: 2 });
    await acquireLeases('sess', [`lock-${onOrphan}`], s);

    // Time moves in 10 ms steps for up to the timeout and a half, each step's rounds done before the next.
    let got = await svc.ok('session.get', { sessionId: id });
    for (let waited = 0; got.status === 'open' && waited < 900; waited += 10) {
      await advance(10);
      got = await svc.ok('session.get', { sessionId: id });
    }
    expect(got.status).toBe('orphaned');
    expect(Date.parse(got.closedAt) - Date.parse(got.expiresAt)).toBeLessThanOrEqual(300);
    expect(got.closeReason).toContain('no heartbeat');
    const orphaned = (await logOf(id)).filter((e) => e.type === 'session.orphaned');
    expect(orphaned).toHaveLength(1);
    expect(orphaned[0].data).toMatchObject({ detectedBy: svc.deps.instanceId, finalCheckpointWritten: writesCheckpoint });
    if (writesCheckpoint) expect(Date.parse(got.lastCheckpoint.at)).toBeGreaterThan(Date.parse(got.expiresAt) - 1);
    expect(got.lastCheckpoint.state).toEqual({ progress: 42 });
    expect(await svc.ok('lease.inspect', { ns: 'sess', key: `lock-${onOrphan}` })).toMatchObject({ held: false });

    // More rounds of the detector record nothing more.
    await advance(1_000);
    expect((await logOf(id)).filter((e) => e.type === 'session.orphaned')).toHaveLength(1);
  });

  it('closing a session releases the leases acquired with it', async () => {
    const s = await svc.ok('session.open', { sessionId: 'with-leases' });
    await acquireLeases('sess', ['a', 'b'], s);
    await acquireLeases('sess', ['unbound'], null);
    const closed = await svc.when('session.close', { sessionId: 'with-leases', sessionToken: s.sessionToken });
    expect(closed.body).toMatchObject({ closed: true, releasedLeases: 2 });
    expect(closed.events.map((e) => [e.type, e.entity])).toEqual([
      ['session.closed', 'with-leases'],
      ['lease.released', 'a'],
      ['lease.released', 'b'],
    ]);
    expect(await svc.ok('lease.inspect', { ns: 'sess', key: 'a' })).toMatchObject({ held: false });
    expect(await svc.ok('lease.inspect', { ns: 'sess', key: 'b' })).toMatchObject({ held: false });
    expect(await svc.ok('lease.inspect', { ns: 'sess', key: 'unbound' })).toMatchObject({ held: true });
  });
};
