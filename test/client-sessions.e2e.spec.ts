import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientShutDownError, MemoryClient, SessionClosedError, type EpisodicEvent, type MemoryClientOptions, type RecordedTurn } from '@memsidecar/client';
import { sleep, waitFor } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const CHILD = join(__dirname, 'support', 'turn-recorder-process.cjs');

/** A promise resolved from outside: a recall that finishes exactly when the test says. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const tmpFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'memsidecar-client-')), name);
const fileLines = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : []);
const indicesOf = (events: EpisodicEvent[]) => events.flatMap((e) => (e.payload as { turns: RecordedTurn[] }).turns.map((t) => t.index));

describe('client sessions and turns - end to end over NATS on postgres', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  const clients: MemoryClient[] = [];
  const warnings: string[] = [];

  const connectClient = async (extra: MemoryClientOptions = {}) => {
    const client = await MemoryClient.connect({
      natsUrl: f.nats.url,
      token: f.service.adminToken(),
      requestTimeoutMs: 3_000,
      session: { heartbeatIntervalS: 0.2, heartbeatTimeoutS: 2 },
      retryPolicy: { baseDelayMs: 50, capDelayS: 1 },
      logger: { warn: (m) => warnings.push(m) },
      ...extra,
    });
    clients.push(client);
    return client;
  };

  const turnEvents = async (ns: string, sessionId?: string) =>
    (await f.client.ok<{ events: EpisodicEvent[] }>('episodic.range', { ns, type: 'turns', limit: 1000, ...(sessionId ? { sessionId } : {}) })).events;

  /** Stops the service for the duration of `body`, then starts it again on the same data. */
  const withServiceStopped = async <T>(body: () => Promise<T>): Promise<T> => {
    await f.service.stop();
    try {
      return await body();
    } finally {
      f.service = await f.service.restart();
    }
  };

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.shutdown({ timeoutMs: 2_000 })));
    warnings.length = 0;
  });

  describe('sessions', () => {
    it('open starts heartbeats: the service sees lastHeartbeatAt advance', async () => {
      const client = await connectClient();
      const session = await client.openSession({ agent: 'planner' });
      expect(session).toMatchObject({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2_000, endedReason: null });
      const opened = await client.session.get({ sessionId: session.sessionId });
      expect(opened).toMatchObject({ status: 'open', agent: 'planner', heartbeatIntervalMs: 200, heartbeatTimeoutMs: 2_000, onOrphan: 'checkpoint_and_close' });
      const later = await waitFor(() => client.session.get({ sessionId: session.sessionId }), (s) => Date.parse(s.lastHeartbeatAt) >= Date.parse(opened.lastHeartbeatAt) + 400);
      expect(Date.parse(later.lastHeartbeatAt)).toBeGreaterThanOrEqual(Date.parse(opened.lastHeartbeatAt) + 400);
      expect(later.status).toBe('open');
    });

    it('a call made with { session } carries its id and token, and its event is attributed to it', async () => {
      const client = await connectClient();
      const session = await client.openSession();
      const { seq } = await client.kv.put({ ns: 'client-sessions', key: 'attributed', value: 1 }, { session });
      const [event] = (await f.logOf('mem.evt.kv.>')).filter((e) => e.seq === seq);
      expect(event).toMatchObject({ type: 'kv.value_set', sessionId: session.sessionId });
    });

    it('an orphaned session surfaces as SessionClosedError on the next call, and every later call fails at once', async () => {
      const client = await connectClient();
      const session = await client.openSession({ heartbeatIntervalMs: 200, heartbeatTimeoutMs: 1_000 });
      const ended: string[] = [];
      session.onEnd((reason) => ended.push(reason));
      session.stopHeartbeats();
      const got = await waitFor(() => client.session.get({ sessionId: session.sessionId }), (s) => s.status === 'orphaned');
      expect(got.status).toBe('orphaned');
      const first = await client.kv.put({ ns: 'client-sessions', key: 'after-orphan', value: 1 }, { session }).catch((e) => e);
      expect(first).toBeInstanceOf(SessionClosedError);
      expect(first).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'SESSION_CLOSED', sessionId: session.sessionId, op: 'kv.put' });
      expect(session.endedReason).toMatch(/closed or orphaned on the service/);
      expect(ended).toHaveLength(1);
      await expect(client.kv.get({ ns: 'client-sessions', key: 'after-orphan' })).resolves.toEqual({ found: false });
      await expect(session.checkpoint({ late: true })).rejects.toBeInstanceOf(SessionClosedError);
    });

    it('a heartbeat answered SESSION_CLOSED ends the session: onEnd fires and the next call fails without reaching the service', async () => {
      const client = await connectClient();
      const session = await client.openSession();
      const ended = deferred<string>();
      session.onEnd(ended.resolve);
      // closed elsewhere: another holder of the token closes it
      await f.client.ok('session.close', { sessionId: session.sessionId, sessionToken: session.sessionToken });
      expect(await ended.promise).toMatch(/closed or orphaned on the service/);
      const seen = f.client.nc.subscribe('mem.v1.kv.put');
      let requests = 0;
      void (async () => {
        for await (const _ of seen) requests++;
      })();
      await f.client.nc.flush(); // the server has the subscription before the client could publish
      const started = Date.now();
      const refused = await client.kv.put({ ns: 'client-sessions', key: 'after-close', value: 1 }, { session }).catch((e) => e);
      expect(refused).toBeInstanceOf(SessionClosedError);
      expect(Date.now() - started).toBeLessThan(50);
      await f.client.nc.flush();
      seen.unsubscribe();
      expect(requests).toBe(0);
      await expect(session.close()).rejects.toBeInstanceOf(SessionClosedError);
    });

    it('close writes the final checkpoint, resolves true, and closing again is the same; lineage is recorded', async () => {
      const client = await connectClient();
      const parent = await client.openSession();
      const session = await client.openSession({ parentSessionId: parent.sessionId, metadata: { reason: 'branch' } });
      await session.checkpoint({ step: 1 }, 3);
      expect(await session.close({ step: 'final' })).toBe(true);
      expect(await session.close()).toBe(true);
      expect(session.endedReason).toBe('was closed');
      const got = await client.session.get({ sessionId: session.sessionId });
      expect(got).toMatchObject({ status: 'closed', parentSessionId: parent.sessionId, metadata: { reason: 'branch' }, lastCheckpoint: { state: { step: 'final' }, turn: 3 } });
      await sleep(500);
      // no heartbeat after the close
      expect((await client.session.get({ sessionId: session.sessionId })).lastHeartbeatAt).toBe(got.lastHeartbeatAt);
      await expect(session.checkpoint({ step: 2 })).rejects.toBeInstanceOf(SessionClosedError);
    });
  });

  describe('turns', () => {
    it('a switch with 2 buffered turns and N=3 writes them once under the OLD session and lineage; the new session starts empty', async () => {
      const client = await connectClient();
      const turns = client.turns({ ns: 'switch', sessionId: 'switch-a', parentSessionId: 'switch-root', retainEveryNTurns: 3 });
      const switches: unknown[] = [];
      turns.onSessionSwitch((s) => switches.push(s));
      expect(turns.recordTurn({ user: 'u1', assistant: 'a1' })).toBe(1);
      expect(turns.recordTurn({ user: 'u2', assistant: 'a2', metadata: { tool: 'none' } })).toBe(2);
      expect(await turns.drain(1_000)).toBe(true);
      expect(await turnEvents('switch')).toEqual([]);

      turns.switchSession('switch-b', { parentSessionId: 'switch-a', reason: 'new' });
      expect(turns).toMatchObject({ sessionId: 'switch-b', parentSessionId: 'switch-a', bufferedTurns: 0, nextTurnIndex: 1 });
      expect(switches).toEqual([{ previousSessionId: 'switch-a', sessionId: 'switch-b', parentSessionId: 'switch-a', reason: 'new' }]);
      expect(await turns.drain(10_000)).toBe(true);

      const events = await turnEvents('switch');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        sessionId: 'switch-a',
        metadata: { parentSessionId: 'switch-root', firstTurn: '1', lastTurn: '2' },
        dedupKey: 'switch-a:turns:1-2',
        payload: { turns: [{ index: 1, user: 'u1', assistant: 'a1' }, { index: 2, user: 'u2', assistant: 'a2', metadata: { tool: 'none' } }] },
      });
      expect(await turnEvents('switch', 'switch-b')).toEqual([]);

      for (let i = 1; i <= 3; i++) turns.recordTurn({ user: `b${i}`, assistant: `b${i}` });
      expect(await turns.drain(10_000)).toBe(true);
      const [b] = await turnEvents('switch', 'switch-b');
      expect(b).toMatchObject({ metadata: { parentSessionId: 'switch-a', firstTurn: '1', lastTurn: '3' }, dedupKey: 'switch-b:turns:1-3' });
    });

    it("a switch's flush queued behind a write still in flight is sent only after that write, and lands after it", async () => {
      const client = await connectClient();
      const turns = client.turns({ ns: 'fifo', sessionId: 'fifo-a', retainEveryNTurns: 2 });
      const sent: string[] = [];
      const wire = f.client.nc.subscribe('mem.v1.episodic.append');
      void (async () => {
        for await (const m of wire) {
          const body = JSON.parse(m.string()) as { ns: string; dedupKey: string };
          if (body.ns === 'fifo' && !sent.includes(body.dedupKey)) sent.push(body.dedupKey);
        }
      })();
      await f.client.nc.flush(); // the server has the subscription before the client publishes
      // The service takes the first write but cannot answer it yet.
      f.service.signal('SIGSTOP');
      try {
        turns.recordTurn({ user: 'u1', assistant: 'a1' });
        turns.recordTurn({ user: 'u2', assistant: 'a2' });
        turns.recordTurn({ user: 'u3', assistant: 'a3' });
        turns.switchSession('fifo-b', { parentSessionId: 'fifo-a', reason: 'compression' });
        expect(turns.pendingWrites).toBe(2);
        await sleep(1_000);
        expect(sent).toEqual(['fifo-a:turns:1-2']);
      } finally {
        f.service.signal('SIGCONT');
      }
      expect(await turns.drain(20_000)).toBe(true);
      wire.unsubscribe();
      expect(sent).toEqual(['fifo-a:turns:1-2', 'fifo-a:turns:3-3']);
      const events = await turnEvents('fifo');
      expect(events.map((e) => e.dedupKey)).toEqual(['fifo-a:turns:1-2', 'fifo-a:turns:3-3']);
      expect(events[0].cursor).toBeLessThan(events[1].cursor);
      expect(events.every((e) => e.sessionId === 'fifo-a')).toBe(true);
    });

    it.each([1, 7])('100 rapid turns with N=%i are stored in order, with no gap and no duplicate', async (n) => {
      const client = await connectClient();
      const ns = `rapid-${n}`;
      const turns = client.turns({ ns, sessionId: `rapid-session-${n}`, retainEveryNTurns: n });
      for (let i = 1; i <= 100; i++) turns.recordTurn({ user: `question ${i}`, assistant: `answer ${i}` });
      expect(turns.bufferedTurns).toBe(100 % n);
      turns.flush();
      expect(await turns.drain(30_000)).toBe(true);
      const events = await turnEvents(ns);
      expect(events).toHaveLength(Math.ceil(100 / n));
      expect(indicesOf(events)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      for (const e of events) {
        const own = (e.payload as { turns: RecordedTurn[] }).turns;
        expect(e.metadata).toEqual({ firstTurn: String(own[0].index), lastTurn: String(own[own.length - 1].index) });
        expect(own.every((t) => t.user === `question ${t.index}` && t.assistant === `answer ${t.index}`)).toBe(true);
      }
    });

    it('resuming a session continues its turn index with firstTurnIndex; reusing indices is deduplicated and warned about', async () => {
      const client = await connectClient();
      const first = client.turns({ ns: 'resume', sessionId: 'resumed' });
      first.recordTurn({ user: 'u1', assistant: 'a1' });
      first.recordTurn({ user: 'u2', assistant: 'a2' });
      expect(await first.drain(10_000)).toBe(true);
      const careless = client.turns({ ns: 'resume', sessionId: 'resumed' });
      careless.recordTurn({ user: 'other', assistant: 'other' });
      expect(await careless.drain(10_000)).toBe(true);
      expect(warnings.join('\n')).toMatch(/resumed:turns:1-1 were already stored.*firstTurnIndex/);
      const resumed = client.turns({ ns: 'resume', sessionId: 'resumed', firstTurnIndex: 3 });
      expect(resumed.recordTurn({ user: 'u3', assistant: 'a3' })).toBe(3);
      expect(await resumed.drain(10_000)).toBe(true);
      expect(indicesOf(await turnEvents('resume'))).toEqual([1, 2, 3]);
    });

    it('a prefetch started before a switch never delivers into the new session', async () => {
      const client = await connectClient();
      const calls: { query: string; sessionId: string; signal: AbortSignal; result: ReturnType<typeof deferred<string>> }[] = [];
      const turns = client.turns<string>({
        ns: 'prefetch',
        sessionId: 'pre-a',
        recall: (query, { sessionId, signal }) => {
          const result = deferred<string>();
          calls.push({ query, sessionId, signal, result });
          return result.promise;
        },
      });
      turns.queuePrefetch('what did we decide?');
      await sleep(10);
      expect(calls[0]).toMatchObject({ query: 'what did we decide?', sessionId: 'pre-a' });
      turns.switchSession('pre-b', { reason: 'reset' });
      expect(calls[0].signal.aborted).toBe(true);
      calls[0].result.resolve('recalled in pre-a');
      // give the late result every chance to arrive before asking
      await sleep(50);
      expect(await turns.prefetch({ waitMs: 200 })).toBeNull();

      turns.queuePrefetch('a new question');
      await sleep(10);
      expect(calls[1].sessionId).toBe('pre-b');
      calls[1].result.resolve('recalled in pre-b');
      expect(await turns.prefetch({ waitMs: 1_000 })).toBe('recalled in pre-b');
      // taking it clears it
      expect(await turns.prefetch({ waitMs: 0 })).toBeNull();
    });

    it.each([
      ['the newer finishes first', [1, 0]],
      ['the older finishes first', [0, 1]],
    ] as const)('of two prefetches the newer wins (%s)', async (_name, order) => {
      const client = await connectClient();
      const results = [deferred<string>(), deferred<string>()];
      let n = 0;
      const turns = client.turns<string>({ ns: 'prefetch', sessionId: 'pre-two', recall: () => results[n++].promise });
      turns.queuePrefetch('older');
      turns.queuePrefetch('newer');
      await sleep(10);
      for (const i of order) {
        results[i].resolve(i === 0 ? 'older result' : 'newer result');
        await sleep(10);
      }
      expect(await turns.prefetch({ waitMs: 1_000 })).toBe('newer result');
      expect(await turns.prefetch({ waitMs: 0 })).toBeNull();
    });

    it('the default recall searches the semantic namespace of the recorder', async () => {
      const client = await connectClient();
      await client.semantic.upsert({ ns: 'recall', records: [{ id: 'tea', content: 'the user drinks green tea every morning' }, { id: 'car', content: 'the user drives an old red car' }] });
      const turns = client.turns({ ns: 'recall', sessionId: 'recall-session' });
      turns.queuePrefetch('green tea');
      const result = await turns.prefetch({ waitMs: 10_000 });
      expect(result?.hits[0]).toMatchObject({ id: 'tea', content: 'the user drinks green tea every morning' });
    });
  });

  describe('shutdown', () => {
    it('flushes each buffer exactly once and closes sessions; calls after it reject with ClientShutDownError; twice is the same report', async () => {
      const client = await connectClient();
      const session = await client.openSession();
      const turns = client.turns({ ns: 'shutdown', sessionId: session.sessionId, retainEveryNTurns: 3 });
      turns.recordTurn({ user: 'u1', assistant: 'a1' });
      turns.recordTurn({ user: 'u2', assistant: 'a2' });
      const report = await client.shutdown({ timeoutMs: 5_000 });
      expect(report).toEqual({ flushedTurns: 2, abandoned: [], closedSessions: [session.sessionId], unclosedSessions: [], timedOut: false });
      expect(await client.shutdown()).toBe(report);
      expect(indicesOf(await turnEvents('shutdown'))).toEqual([1, 2]);
      expect((await f.client.ok('session.get', { sessionId: session.sessionId })).status).toBe('closed');

      await expect(client.kv.get({ ns: 'shutdown', key: 'k' })).rejects.toBeInstanceOf(ClientShutDownError);
      await expect(client.call('kv.put', { ns: 'shutdown', key: 'k', value: 1 })).rejects.toBeInstanceOf(ClientShutDownError);
      await expect(client.openSession()).rejects.toBeInstanceOf(ClientShutDownError);
      expect(() => turns.recordTurn({ user: 'late', assistant: 'late' })).toThrow(ClientShutDownError);
      expect(() => turns.queuePrefetch('late')).toThrow(ClientShutDownError);
      expect(() => turns.switchSession('late')).toThrow(ClientShutDownError);
      expect(() => client.turns({ ns: 'shutdown', sessionId: 'late' })).toThrow(ClientShutDownError);
    });

    it('with the service down it returns within its timeout and reports every write it abandoned', async () => {
      const client = await connectClient();
      const session = await client.openSession();
      const eager = client.turns({ ns: 'down', sessionId: 'down-eager', retainEveryNTurns: 1 });
      const batched = client.turns({ ns: 'down', sessionId: 'down-batched', parentSessionId: 'down-eager', retainEveryNTurns: 3 });
      const { report, elapsed } = await withServiceStopped(async () => {
        eager.recordTurn({ user: 'u1', assistant: 'a1' });
        eager.recordTurn({ user: 'u2', assistant: 'a2' });
        batched.recordTurn({ user: 'b1', assistant: 'b1' });
        batched.recordTurn({ user: 'b2', assistant: 'b2' });
        const started = Date.now();
        const r = await client.shutdown({ timeoutMs: 1_500 });
        return { report: r, elapsed: Date.now() - started };
      });
      expect(elapsed).toBeGreaterThanOrEqual(1_400);
      expect(elapsed).toBeLessThan(1_500 + 300);
      expect(report.flushedTurns).toBe(0);
      expect(report.timedOut).toBe(true);
      expect(report.closedSessions).toEqual([]);
      expect(report.unclosedSessions).toEqual([session.sessionId]);
      expect(report.abandoned).toEqual([
        { op: 'episodic.append', sessionId: 'down-eager', turns: 1, error: expect.stringMatching(/no memsidecar instance is serving|gave up/) },
        { op: 'episodic.append', sessionId: 'down-eager', turns: 1, error: expect.any(String) },
        { op: 'episodic.append', sessionId: 'down-batched', turns: 2, error: expect.any(String) },
      ]);
      expect(warnings.join('\n')).toMatch(/shutdown: could not write episodic.append of session down-batched \(2 turns\)/);
      // abandoned really means not written (no transaction log here)
      await sleep(500);
      expect(await turnEvents('down')).toEqual([]);
    });
  });

  describe('transaction log', () => {
    it('a SIGKILL between recordTurn and the send, then a restart: the turn lands exactly once and the log is compacted', async () => {
      const log = tmpFile('tx.jsonl');
      await withServiceStopped(async () => {
        const child = spawn(process.execPath, [CHILD], {
          env: { PATH: process.env.PATH ?? '', NATS_URL: f.nats.url, MEMSIDECAR_TOKEN: f.service.adminToken(), TX_LOG: log, NS: 'crash', SESSION_ID: 'crash-session' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.on('data', (d) => (output += d));
        child.stderr.on('data', (d) => (output += d));
        const exited = new Promise((r) => child.once('exit', r));
        // journaled and stuck retrying: no service answers
        await waitFor(async () => ({ output, lines: fileLines(log) }), (s) => s.output.includes('recorded') && s.lines.length === 1 && s.output.includes('trying again'));
        expect(JSON.parse(fileLines(log)[0])).toMatchObject({ kind: 'pending', op: 'episodic.append', body: { ns: 'crash', sessionId: 'crash-session', dedupKey: 'crash-session:turns:1-1' } });
        child.kill('SIGKILL');
        await exited;
      });
      expect(await turnEvents('crash')).toEqual([]);
      const client = await connectClient({ transactionLog: log });
      expect(warnings).toContain('transaction log: sending 1 unacknowledged mutation(s) again');
      const events = await turnEvents('crash');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ sessionId: 'crash-session', payload: { turns: [{ index: 1, user: 'remember: the door is blue' }] } });
      expect(readFileSync(log, 'utf8')).toBe('');
      await client.shutdown();
      expect(readFileSync(log, 'utf8')).toBe('');
    });

    it('writes abandoned by a shutdown with the service down stay in the log and land, in order, on the next start', async () => {
      const log = tmpFile('tx.jsonl');
      const client = await connectClient({ transactionLog: log });
      const eager = client.turns({ ns: 'kept', sessionId: 'kept-a', retainEveryNTurns: 1 });
      const batched = client.turns({ ns: 'kept', sessionId: 'kept-b', retainEveryNTurns: 3 });
      const report = await withServiceStopped(async () => {
        eager.recordTurn({ user: 'u1', assistant: 'a1' });
        eager.recordTurn({ user: 'u2', assistant: 'a2' });
        batched.recordTurn({ user: 'b1', assistant: 'b1' });
        batched.recordTurn({ user: 'b2', assistant: 'b2' });
        return client.shutdown({ timeoutMs: 1_000 });
      });
      expect(report.abandoned.map((a) => [a.sessionId, a.turns])).toEqual([['kept-a', 1], ['kept-a', 1], ['kept-b', 2]]);
      expect(fileLines(log).map((l) => JSON.parse(l).body.dedupKey)).toEqual(['kept-a:turns:1-1', 'kept-a:turns:2-2', 'kept-b:turns:1-2']);

      await connectClient({ transactionLog: log });
      const events = await turnEvents('kept');
      expect(events.map((e) => e.dedupKey)).toEqual(['kept-a:turns:1-1', 'kept-a:turns:2-2', 'kept-b:turns:1-2']);
      expect(readFileSync(log, 'utf8')).toBe('');
    });

    it('an entry the service applied but whose ack was lost is sent again with its request id and applied once', async () => {
      const log = tmpFile('tx.jsonl');
      const client = await connectClient({ transactionLog: log });
      const put = await client.kv.put({ ns: 'lost-ack', key: 'k', value: 'once' });
      expect(put.version).toBe(1);
      const turns = client.turns({ ns: 'lost-ack', sessionId: 'lost-ack-session' });
      turns.recordTurn({ user: 'u1', assistant: 'a1' });
      expect(await turns.drain(10_000)).toBe(true);
      const lines = fileLines(log).map((l) => JSON.parse(l));
      expect(lines.map((l) => l.kind)).toEqual(['pending', 'acked', 'pending', 'acked']);
      expect(lines[1]).toEqual({ kind: 'acked', id: lines[0].id, seq: put.seq });
      await client.shutdown();
      // a crash between send and ack: the pending lines without their acks
      writeFileSync(log, `${JSON.stringify(lines[0])}\n${JSON.stringify(lines[2])}\n`);

      const again = await connectClient({ transactionLog: log });
      expect(warnings).toContain('transaction log: sending 2 unacknowledged mutation(s) again');
      expect(await again.kv.get({ ns: 'lost-ack', key: 'k' })).toMatchObject({ value: 'once', version: 1 });
      expect(await turnEvents('lost-ack')).toHaveLength(1);
      const appended = (await f.logOf('mem.evt.kv.>')).filter((e) => e.ns === 'lost-ack');
      expect(appended).toHaveLength(1);
      expect(readFileSync(log, 'utf8')).toBe('');
    });

    it('a torn last line is skipped with a warning; the entries before it are sent', async () => {
      const log = tmpFile('tx.jsonl');
      const whole = { kind: 'pending', id: 'c6f1a3e0-0000-4000-8000-000000000001', op: 'kv.put', body: { ns: 'torn', key: 'whole', value: 1 }, at: new Date().toISOString() };
      const torn = JSON.stringify({ kind: 'pending', id: 'c6f1a3e0-0000-4000-8000-000000000002', op: 'kv.put', body: { ns: 'torn', key: 'torn', value: 2 } }).slice(0, 40);
      writeFileSync(log, `${JSON.stringify(whole)}\n${torn}`);
      const client = await connectClient({ transactionLog: log });
      expect(warnings).toContain(`transaction log ${log}: torn last line skipped`);
      expect(await client.kv.get({ ns: 'torn', key: 'whole' })).toMatchObject({ found: true, value: 1 });
      expect(await client.kv.get({ ns: 'torn', key: 'torn' })).toEqual({ found: false });
      expect(readFileSync(log, 'utf8')).toBe('');
    });
  });
});
