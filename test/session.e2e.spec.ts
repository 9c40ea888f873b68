import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject } from '@memsidecar/core';
import { NatsTestClient, RunningService, createTestDatabase, readLog, sleep, startTestNats, waitFor, type TestDatabase, type TestNats } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const logOf = readLog;

const sessionSubject = (id: string) => aggregateSubject('mem', { block: 'session', tenant: 'default', ns: 'default', entity: id });


describe.each(['postgres', 'pglite'] as const)('sessions - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind);
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });

  const headersOf = (s: { sessionId: string; sessionToken: string }) => ({ 'Mem-Session-Id': s.sessionId, 'Mem-Session-Token': s.sessionToken });

  it('open, heartbeat, checkpoint, close and get, with lineage', async () => {
    const parent = await client.ok('session.open', { agent: 'planner' });
    expect(parent).toMatchObject({ sessionId: expect.any(String), sessionToken: expect.any(String), heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 25_000, warnings: [] });
    const child = await client.ok('session.open', { sessionId: 'child-1', parentSessionId: parent.sessionId, metadata: { reason: 'branch' } });
    const beat = await client.ok('session.heartbeat', { sessionId: 'child-1', sessionToken: child.sessionToken });
    expect(Date.parse(beat.expiresAt)).toBeGreaterThanOrEqual(Date.parse(child.expiresAt));
    await client.ok('session.checkpoint', { sessionId: 'child-1', sessionToken: child.sessionToken, state: { step: 1 }, turn: 4 });
    expect(await client.ok('session.get', { sessionId: 'child-1' })).toMatchObject({
      status: 'open', parentSessionId: parent.sessionId, metadata: { reason: 'branch' }, lastCheckpoint: { state: { step: 1 }, turn: 4 },
    });
    expect(await client.ok('session.close', { sessionId: 'child-1', sessionToken: child.sessionToken, state: { step: 'final' } })).toMatchObject({ closed: true, seq: expect.any(Number) });
    expect(await client.ok('session.get', { sessionId: 'child-1' })).toMatchObject({ status: 'closed', lastCheckpoint: { state: { step: 'final' }, turn: 4 }, closedAt: expect.any(String) });
    expect((await client.call('session.get', { sessionId: 'never-opened' })).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a closed session or a stale token is FAILED_PRECONDITION/SESSION_CLOSED and changes nothing', async () => {
    const first = await client.ok('session.open', { sessionId: 'rotating' });
    const second = await client.ok('session.open', { sessionId: 'rotating' });
    expect(second.sessionToken).not.toBe(first.sessionToken);
    const stale = await client.call('session.heartbeat', { sessionId: 'rotating', sessionToken: first.sessionToken });
    expect(stale).toMatchObject({ status: 412, error: { code: 'FAILED_PRECONDITION', reason: 'SESSION_CLOSED' } });
    const staleWrite = await client.call('kv.put', { ns: 'sess', key: 'stale', value: 1 }, { headers: headersOf({ sessionId: 'rotating', sessionToken: first.sessionToken }) });
    expect(staleWrite.error).toMatchObject({ reason: 'SESSION_CLOSED' });
    expect(await client.ok('kv.get', { ns: 'sess', key: 'stale' })).toEqual({ found: false });
    await client.ok('session.close', { sessionId: 'rotating', sessionToken: second.sessionToken });
    expect((await client.call('session.checkpoint', { sessionId: 'rotating', sessionToken: second.sessionToken, state: 1 })).error).toMatchObject({ reason: 'SESSION_CLOSED' });
    expect((await client.call('session.close', { sessionId: 'rotating', sessionToken: second.sessionToken })).error).toMatchObject({ reason: 'SESSION_CLOSED' });
  });

  it('writes carrying the session headers are attributed to the session in their events', async () => {
    const s = await client.ok('session.open', { sessionId: 'attributed' });
    const { seq } = await client.ok('kv.put', { ns: 'sess', key: 'k', value: 1 }, { headers: headersOf(s) });
    const [event] = (await logOf(client, 'mem.evt.kv.>')).filter((e) => e.seq === seq);
    expect(event).toMatchObject({ sessionId: 'attributed', type: 'kv.value_set' });
    expect((await client.call('kv.put', { ns: 'sess', key: 'k', value: 1 }, { headers: { 'Mem-Session-Id': 'attributed' } })).error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'Mem-Session-Token' },
    });
  });

  it('honours the deprecated timeoutMs and says what replaces it, in the reply and the log', async () => {
    const s = await client.ok('session.open', { heartbeatIntervalMs: 1000, timeoutMs: 7000 });
    expect(s.heartbeatTimeoutMs).toBe(7000);
    expect(s.warnings.join(' ')).toMatch(/timeoutMs is deprecated.*heartbeatTimeoutMs/);
    const both = await client.ok('session.open', { heartbeatIntervalMs: 1000, timeoutMs: 7000, heartbeatTimeoutMs: 9000 });
    expect(both.heartbeatTimeoutMs).toBe(9000);
    await waitFor(async () => f.service.logs, (l) => l.includes('timeoutMs is deprecated'));
    expect(f.service.logs).toContain('timeoutMs is deprecated');
  });

  it.each([
    ['timeout not above interval', { heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 5000 }, 'heartbeatTimeoutMs'],
    ['unknown onOrphan', { onOrphan: 'explode' }, 'onOrphan'],
    ['misspelled key', { on_orhpan: 'abort_quietly' }, 'on_orhpan'],
    ['bad session id', { sessionId: 'has space' }, 'sessionId'],
  ])('open with %s is INVALID_ARGUMENT naming the field', async (_n, body, field) => {
    expect((await client.call('session.open', body)).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field } });
  });

  it.each([
    ['checkpoint_and_close', true],
    ['abort_quietly', false],
  ] as const)('a session whose heartbeats stop is orphaned within half its timeout (%s)', async (onOrphan, writesCheckpoint) => {
    const id = `orphan-${onOrphan}`;
    const s = await client.ok('session.open', { sessionId: id, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 600, onOrphan });
    await client.ok('session.checkpoint', { sessionId: id, sessionToken: s.sessionToken, state: { progress: 42 }, turn: 2 });
    const lease = await client.ok('lease.acquire', { ns: 'sess', key: `lock-${onOrphan}`, ttlMs: 60_000 }, { headers: headersOf(s) });
    const got = await waitFor(() => client.ok('session.get', { sessionId: id }), (g) => g.status === 'orphaned');
    expect(got.status).toBe('orphaned');
    expect(Date.parse(got.closedAt) - Date.parse(got.expiresAt)).toBeLessThanOrEqual(300 + 150);
    expect(got.closeReason).toContain('no heartbeat');
    const orphaned = (await logOf(client, sessionSubject(id))).filter((e) => e.type === 'session.orphaned');
    expect(orphaned).toHaveLength(1);
    expect(orphaned[0].data).toMatchObject({ detectedBy: expect.any(String), finalCheckpointWritten: writesCheckpoint });
    if (writesCheckpoint) expect(Date.parse(got.lastCheckpoint.at)).toBeGreaterThan(Date.parse(got.expiresAt) - 1);
    expect(got.lastCheckpoint.state).toEqual({ progress: 42 });
    const inspected = await waitFor(() => client.ok('lease.inspect', { ns: 'sess', key: `lock-${onOrphan}` }), (l) => !l.held);
    expect(inspected.held).toBe(false);
    void lease;
  });

  it('closing a session releases the leases acquired with it', async () => {
    const s = await client.ok('session.open', { sessionId: 'with-leases' });
    await client.ok('lease.acquire', { ns: 'sess', key: 'a', ttlMs: 60_000 }, { headers: headersOf(s) });
    await client.ok('lease.acquire', { ns: 'sess', key: 'b', ttlMs: 60_000 }, { headers: headersOf(s) });
    await client.ok('lease.acquire', { ns: 'sess', key: 'unbound', ttlMs: 60_000 });
    expect(await client.ok('session.close', { sessionId: 'with-leases', sessionToken: s.sessionToken })).toMatchObject({ closed: true, releasedLeases: 2 });
    expect(await client.ok('lease.inspect', { ns: 'sess', key: 'a' })).toMatchObject({ held: false });
    expect(await client.ok('lease.inspect', { ns: 'sess', key: 'b' })).toMatchObject({ held: false });
    expect(await client.ok('lease.inspect', { ns: 'sess', key: 'unbound' })).toMatchObject({ held: true });
  });
});

describe('sessions - two instances sharing NATS and Postgres', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let a: RunningService;
  let b: RunningService;

  beforeAll(async () => {
    nats = await startTestNats();
    pg = await createTestDatabase();
    a = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url });
    b = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url, dataDir: a.dataDir });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  it('both alive: the orphan is recorded exactly once', async () => {
    const client = await NatsTestClient.connect(nats.url, a.adminToken());
    // Two instances share the queue group: a read on the other one names the write's sequence.
    const { seq } = await client.ok('session.open', { sessionId: 'shared-1', heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 });
    await waitFor(() => client.ok('session.get', { sessionId: 'shared-1', minSeq: seq }), (g) => g.status === 'orphaned');
    await sleep(500);
    expect((await logOf(client, sessionSubject('shared-1'))).filter((e) => e.type === 'session.orphaned')).toHaveLength(1);
    await client.close();
  });

  it('one instance killed: the survivor detects the orphan, once', async () => {
    const client = await NatsTestClient.connect(nats.url, a.adminToken());
    const { seq } = await client.ok('session.open', { sessionId: 'shared-2', heartbeatIntervalMs: 100, heartbeatTimeoutMs: 800 });
    await a.kill();
    // A request routed to the killed instance just before its connection closed is lost: ask again.
    const got = await waitFor(() => client.ok('session.get', { sessionId: 'shared-2', minSeq: seq }, { timeoutMs: 1000 }), (g) => g.status === 'orphaned');
    expect(got.status).toBe('orphaned');
    const orphaned = (await logOf(client, sessionSubject('shared-2'))).filter((e) => e.type === 'session.orphaned');
    expect(orphaned).toHaveLength(1);
    await client.close();
  });
});
