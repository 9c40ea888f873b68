import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject } from '@memsidecar/core';
import { NatsTestClient, RunningService, createTestDatabase, readLog, sleep, startTestNats, waitFor, type TestDatabase, type TestNats } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const logOf = readLog;

const sessionSubject = (id: string) => aggregateSubject('mem', { block: 'session', tenant: 'default', ns: 'default', entity: id });

/**
 * What sessions need a running service for: the session headers carried over NATS, the service's
 * own log, several instances sharing NATS and Postgres, an instance killed. Their behaviour (open,
 * heartbeat, checkpoint, close, stale tokens, orphan detection on the clock, leases released with
 * the session, bad input) is specified in process: test/in-process/session.spec.ts.
 */
describe.each(['postgres', 'pglite'] as const)('sessions - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind);
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });

  const headersOf = (s: { sessionId: string; sessionToken: string }) => ({ 'Mem-Session-Id': s.sessionId, 'Mem-Session-Token': s.sessionToken });

  it('the session headers travel over NATS: a write carrying them is attributed to the session, a stale token refused', async () => {
    const first = await client.ok('session.open', { sessionId: 'attributed' });
    const s = await client.ok('session.open', { sessionId: 'attributed' });
    const { seq } = await client.ok('kv.put', { ns: 'sess', key: 'k', value: 1 }, { headers: headersOf(s) });
    const [event] = (await logOf(client, 'mem.evt.kv.>')).filter((e) => e.seq === seq);
    expect(event).toMatchObject({ sessionId: 'attributed', type: 'kv.value_set' });
    expect((await client.call('kv.put', { ns: 'sess', key: 'k', value: 1 }, { headers: { 'Mem-Session-Id': 'attributed' } })).error).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'Mem-Session-Token' },
    });
    const stale = await client.call('kv.put', { ns: 'sess', key: 'stale', value: 1 }, { headers: headersOf(first) });
    expect(stale).toMatchObject({ status: 412, error: { code: 'FAILED_PRECONDITION', reason: 'SESSION_CLOSED' } });
  });

  it('the deprecated timeoutMs is named in the service\'s log', async () => {
    const s = await client.ok('session.open', { heartbeatIntervalMs: 1000, timeoutMs: 7000 });
    expect(s.warnings.join(' ')).toMatch(/timeoutMs is deprecated/);
    await waitFor(async () => f.service.logs, (l) => l.includes('timeoutMs is deprecated'));
    expect(f.service.logs).toContain('timeoutMs is deprecated');
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
