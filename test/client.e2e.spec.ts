import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryClient, MemoryError, type EpisodicEvent, type MemoryClientOptions } from '@memsidecar/client';
import { serviceFixture } from './support/fixture';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const b64 = (text: string) => Buffer.from(text).toString('base64');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const quiet = { warn: () => undefined };

/** What a call was refused with; fails the test when it succeeds or fails some other way. */
async function refusal(call: Promise<unknown>): Promise<MemoryError> {
  const outcome = await call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(MemoryError);
  return outcome.error as MemoryError;
}

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

interface Retry {
  op: string;
  attempt: number;
  delayMs: number;
  error: MemoryError;
}

/** The provenance of a write made with the service's admin token over NATS. */
const byAdmin = (seq: number, at: string) => ({ agent: 'admin', tokenId: 'admin', transport: 'nats', seq, at });

describe('client - typed blocks against the service', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  let client: MemoryClient;
  const retries: Retry[] = [];

  beforeAll(async () => {
    client = await MemoryClient.connect({
      natsUrl: f.nats.url,
      token: f.service.adminToken(),
      logger: quiet,
      onRetry: (op, attempt, delayMs, error) => retries.push({ op, attempt, delayMs, error }),
    });
  });
  afterAll(async () => {
    await client?.shutdown();
  });

  it('kv - put, get, mget, list, delete, and a lost compare-and-set is VERSION_MISMATCH', async () => {
    const put = await client.kv.put({ ns: 'sdk', key: 'a', value: { n: 1 }, metadata: { by: 'test' } });
    expect(put).toEqual({ version: 1, createdAt: expect.stringMatching(ISO), updatedAt: expect.stringMatching(ISO), expiresAt: null, seq: expect.any(Number) });
    const second = await client.kv.put({ ns: 'sdk', key: 'a', value: { n: 2 }, ifVersion: 1, ttlMs: 60_000 });
    expect(second).toMatchObject({ version: 2, createdAt: put.createdAt, expiresAt: expect.stringMatching(ISO) });
    await client.kv.put({ ns: 'sdk', key: 'b', value: 'bee' });

    expect(await client.kv.get({ ns: 'sdk', key: 'a', minSeq: second.seq })).toEqual({
      found: true,
      key: 'a',
      value: { n: 2 },
      version: 2,
      createdAt: put.createdAt,
      updatedAt: second.updatedAt,
      expiresAt: second.expiresAt,
      metadata: {},
      provenance: byAdmin(second.seq, second.updatedAt),
    });
    expect(await client.kv.get({ ns: 'sdk', key: 'missing' })).toEqual({ found: false });
    expect((await client.kv.mget({ ns: 'sdk', keys: ['b', 'missing', 'a', 'b'] })).items.map((i) => [i.key, i.value])).toEqual([
      ['a', { n: 2 }],
      ['b', 'bee'],
    ]);
    const page = await client.kv.list({ ns: 'sdk', limit: 1 });
    expect(page).toEqual({ items: [expect.objectContaining({ key: 'a', version: 2 })], nextStartAfter: 'a' });
    expect(page.items[0]).not.toHaveProperty('value');
    expect(await client.kv.list({ ns: 'sdk', startAfter: 'a', includeValues: true })).toEqual({ items: [expect.objectContaining({ key: 'b', value: 'bee' })], nextStartAfter: null });

    const lost = await refusal(client.kv.put({ ns: 'sdk', key: 'a', value: 'stale', ifVersion: 1 }));
    expect(lost).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'VERSION_MISMATCH', op: 'kv.put', retryable: false });
    expect(await refusal(client.kv.put({ ns: 'sdk', key: 'a', value: 'create-only', ifVersion: 0 }))).toMatchObject({ reason: 'VERSION_MISMATCH' });

    expect(await client.kv.delete({ ns: 'sdk', key: 'b' })).toEqual({ existed: true, seq: expect.any(Number) });
    expect(await client.kv.delete({ ns: 'sdk', key: 'b' })).toEqual({ existed: false });
  });

  it('episodic - append, range, expire, and tail history then live events', async () => {
    const first = await client.episodic.append({ ns: 'sdk', type: 'note', payload: { text: 'one' }, role: 'user', sessionId: 's1', dedupKey: 'one' });
    expect(first).toEqual({ id: expect.stringMatching(UUID), cursor: 1, createdAt: expect.stringMatching(ISO), deduplicated: false, seq: expect.any(Number) });
    expect(await client.episodic.append({ ns: 'sdk', type: 'note', payload: { text: 'again' }, dedupKey: 'one' })).toMatchObject({ id: first.id, deduplicated: true });
    await client.episodic.append({ ns: 'sdk', type: 'note', payload: { text: 'two' }, role: 'assistant' });
    await client.episodic.append({ ns: 'sdk', type: 'tool', payload: { text: 'three' } });

    const range = await client.episodic.range({ ns: 'sdk', type: 'note' });
    expect(range).toEqual({ events: [expect.objectContaining({ cursor: 1 }), expect.objectContaining({ cursor: 2 })], nextCursor: null });
    expect(range.events[0]).toEqual({
      id: first.id,
      cursor: 1,
      type: 'note',
      payload: { text: 'one' },
      role: 'user',
      sessionId: 's1',
      metadata: {},
      dedupKey: 'one',
      supersedes: [],
      createdAt: first.createdAt,
      provenance: byAdmin(first.seq, first.createdAt),
    });
    expect((await client.episodic.range({ ns: 'sdk', reverse: true, limit: 1 })).events.map((e) => e.cursor)).toEqual([3]);

    const tailed: EpisodicEvent[] = [];
    for await (const event of client.episodic.tail({ ns: 'sdk', afterCursor: 1, maxEvents: 3, maxMs: 10_000 })) {
      tailed.push(event);
      // Once the history is through, a new event arrives live.
      if (tailed.length === 2) await client.episodic.append({ ns: 'sdk', type: 'note', payload: { text: 'live' } });
    }
    expect(tailed.map((e) => [e.cursor, (e.payload as { text: string }).text])).toEqual([
      [2, 'two'],
      [3, 'three'],
      [4, 'live'],
    ]);

    // Leaving the loop early ends the tail without an error.
    for await (const event of client.episodic.tail({ ns: 'sdk', afterCursor: 0, maxMs: 10_000 })) {
      expect(event.cursor).toBe(1);
      break;
    }

    expect(await client.episodic.expire({ ns: 'sdk', beforeCursor: 2, action: 'soft', maxRows: 10 })).toEqual({ affected: 1, seq: expect.any(Number) });
    expect((await client.episodic.range({ ns: 'sdk', includeDeleted: true, limit: 1 })).events[0]).toMatchObject({ cursor: 1, deletedAt: expect.stringMatching(ISO) });
  });

  it('semantic - upsert, search (dense, hybrid, ids only), delete, expire', async () => {
    const upsert = await client.semantic.upsert({
      ns: 'sdk',
      records: [
        { id: 'pg', content: 'postgres stores the read models', metadata: { topic: 'db' }, payload: { weight: 1 } },
        { id: 'nats', content: 'nats carries every request and the event log', metadata: { topic: 'bus' } },
        { id: 'cat', content: 'the cat sleeps on the warm keyboard', metadata: { topic: 'pets' } },
      ],
    });
    expect(upsert).toEqual({ items: [{ id: 'pg', version: 1 }, { id: 'nats', version: 1 }, { id: 'cat', version: 1 }], seq: expect.any(Number) });

    const dense = await client.semantic.search({ ns: 'sdk', queryText: 'postgres read models', topK: 2, includePayload: true });
    expect(dense.hits).toHaveLength(2);
    expect(dense.hits[0]).toEqual({
      id: 'pg',
      score: expect.any(Number),
      content: 'postgres stores the read models',
      metadata: { topic: 'db' },
      version: 1,
      validFrom: expect.stringMatching(ISO),
      validTo: null,
      provenance: byAdmin(upsert.seq, dense.hits[0].validFrom),
      payload: { weight: 1 },
    });
    expect(dense.hits[0].score).toBeGreaterThanOrEqual(dense.hits[1].score);
    const hybrid = await client.semantic.search({ ns: 'sdk', queryText: 'event log', mode: 'hybrid', filter: { topic: 'bus' } });
    expect(hybrid.hits.map((h) => h.id)).toEqual(['nats']);
    const ids = await client.semantic.search({ ns: 'sdk', queryText: 'keyboard', idsOnly: true, topK: 1 });
    expect(ids).toEqual({ hits: [{ id: 'cat', score: expect.any(Number) }] });

    expect(await client.semantic.delete({ ns: 'sdk', ids: ['cat', 'never'] })).toEqual({ existed: [true, false], seq: expect.any(Number) });
    expect(await client.semantic.expire({ ns: 'sdk', filter: { topic: 'bus' }, action: 'invalidate', maxRows: 10 })).toEqual({ affected: 1, seq: expect.any(Number) });
    expect((await client.semantic.search({ ns: 'sdk', queryText: 'anything at all' })).hits.map((h) => h.id)).toEqual(['pg']);
  });

  it('artifact - put, get, stat, list, delete, and an upload of 1.2 MB read back whole', async () => {
    const ref = await client.artifact.put({ ns: 'sdk', id: 'hello.txt', contentType: 'text/plain', metadata: { kind: 'greeting' }, data: b64('hello') });
    expect(ref).toEqual({
      id: 'hello.txt',
      size: 5,
      sha256: sha256(Buffer.from('hello')),
      contentType: 'text/plain',
      metadata: { kind: 'greeting' },
      createdAt: expect.stringMatching(ISO),
      version: 1,
      seq: expect.any(Number),
      provenance: byAdmin(ref.seq, ref.createdAt),
    });
    expect(await client.artifact.get({ ns: 'sdk', id: 'hello.txt', offset: 1, length: 3 })).toEqual({ ref, data: b64('ell') });
    expect(await client.artifact.stat({ ns: 'sdk', id: 'hello.txt' })).toEqual({ found: true, ...ref });
    expect(await client.artifact.stat({ ns: 'sdk', id: 'nope' })).toEqual({ found: false });
    expect(await refusal(client.artifact.get({ ns: 'sdk', id: 'nope' }))).toMatchObject({ code: 'NOT_FOUND', op: 'artifact.get' });

    const bytes = randomBytes(1_200_000);
    // Pieces of a size unrelated to the 512 KiB appends: the client cuts them itself.
    const big = await client.artifact.upload('sdk', pieces(bytes, 100_003), { id: 'big.bin', contentType: 'application/octet-stream', metadata: { run: '1' } });
    expect(big).toMatchObject({ id: 'big.bin', size: bytes.length, sha256: sha256(bytes), contentType: 'application/octet-stream', metadata: { run: '1' }, version: 1 });
    const appended = (await f.logOf('mem.evt.artifact.>')).filter((e) => e.type === 'artifact.upload_appended' && e.ns === 'sdk');
    expect(appended).toHaveLength(3);

    const downloaded = await client.artifact.download({ ns: 'sdk', id: 'big.bin' });
    expect(downloaded.length).toBe(bytes.length);
    expect(sha256(downloaded)).toBe(big.sha256);
    expect(downloaded.equals(bytes)).toBe(true);
    const offsets: number[] = [];
    for await (const chunk of client.artifact.read({ ns: 'sdk', id: 'big.bin', offset: 1_000_000 })) offsets.push(chunk.offset);
    expect(offsets[0]).toBe(1_000_000);
    expect((await client.artifact.download({ ns: 'sdk', id: 'big.bin', offset: 1_000_000, length: 10 })).equals(bytes.subarray(1_000_000, 1_000_010))).toBe(true);

    // The same upload from one buffer, driven by hand this time.
    const { uploadId } = await client.artifact.upload.begin({ ns: 'sdk', id: 'by-hand' });
    expect(await client.artifact.upload.append({ uploadId, data: b64('part one, ') })).toEqual({ size: 10 });
    expect(await client.artifact.upload.append({ uploadId, data: b64('part two') })).toEqual({ size: 18 });
    const wrong = await refusal(client.artifact.upload.commit({ uploadId, sha256: sha256(Buffer.from('something else')) }));
    expect(wrong).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'DIGEST_MISMATCH' });
    expect(await client.artifact.upload.commit({ uploadId, sha256: sha256(Buffer.from('part one, part two')) })).toMatchObject({ id: 'by-hand', size: 18 });
    expect((await client.artifact.upload('sdk', Buffer.from('small'), { id: 'small' })).sha256).toBe(sha256(Buffer.from('small')));

    const listed = await client.artifact.list({ ns: 'sdk', filter: { run: '1' } });
    expect(listed).toEqual({ items: [expect.objectContaining({ id: 'big.bin', sha256: big.sha256 })], nextStartAfter: null });
    expect((await client.artifact.list({ ns: 'sdk', limit: 2 })).nextStartAfter).toBe('by-hand');
    expect(await client.artifact.delete({ ns: 'sdk', id: 'hello.txt' })).toEqual({ existed: true, seq: expect.any(Number) });
    expect(await client.artifact.stat({ ns: 'sdk', id: 'hello.txt' })).toEqual({ found: false });
  });

  it('lease - acquire, inspect, list, renew, release; a held lease is LEASE_HELD', async () => {
    const got = await client.lease.acquire({ ns: 'sdk', key: 'job', ttlMs: 10_000, holder: 'worker-1', metadata: { task: 't' } });
    expect(got).toEqual({ key: 'job', holderId: expect.stringMatching(UUID), fencingToken: expect.any(Number), acquiredAt: expect.stringMatching(ISO), expiresAt: expect.stringMatching(ISO), seq: expect.any(Number) });
    expect(await client.lease.inspect({ ns: 'sdk', key: 'job' })).toEqual({
      held: true,
      holderId: got.holderId,
      holder: 'worker-1',
      fencingToken: got.fencingToken,
      acquiredAt: got.acquiredAt,
      expiresAt: got.expiresAt,
      metadata: { task: 't' },
    });
    expect((await client.lease.list({ ns: 'sdk' })).items).toEqual([expect.objectContaining({ key: 'job', holderId: got.holderId })]);
    expect(await refusal(client.lease.acquire({ ns: 'sdk', key: 'job', ttlMs: 1_000 }))).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD' });

    const renewed = await client.lease.renew({ ns: 'sdk', key: 'job', holderId: got.holderId, ttlMs: 20_000 });
    expect(renewed).toEqual({ expiresAt: expect.stringMatching(ISO), fencingToken: got.fencingToken, seq: expect.any(Number) });
    expect(await client.lease.release({ ns: 'sdk', key: 'job', holderId: got.holderId })).toEqual({ existed: true, seq: expect.any(Number) });
    expect(await client.lease.inspect({ ns: 'sdk', key: 'job' })).toEqual({ held: false });
    expect(await refusal(client.lease.renew({ ns: 'sdk', key: 'job', holderId: got.holderId }))).toMatchObject({ reason: 'NOT_HOLDER' });
    expect((await client.lease.acquire({ ns: 'sdk', key: 'job', ttlMs: 1_000, waitMs: 100 })).fencingToken).toBeGreaterThan(got.fencingToken);
  });

  it('session - the raw operations: open, heartbeat, checkpoint, get, close', async () => {
    const opened = await client.session.open({ sessionId: 'sdk-raw', heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 60_000, metadata: { purpose: 'test' } });
    expect(opened).toEqual({
      sessionId: 'sdk-raw',
      sessionToken: expect.any(String),
      heartbeatIntervalMs: 10_000,
      heartbeatTimeoutMs: 60_000,
      expiresAt: expect.stringMatching(ISO),
      warnings: [],
      seq: expect.any(Number),
    });
    const held = { sessionId: opened.sessionId, sessionToken: opened.sessionToken };
    expect(await client.session.heartbeat(held)).toEqual({ expiresAt: expect.stringMatching(ISO), seq: expect.any(Number) });
    const checkpoint = await client.session.checkpoint({ ...held, state: { step: 1 }, turn: 1 });
    expect(checkpoint).toEqual({ seq: expect.any(Number) });
    const record = await client.session.get({ sessionId: 'sdk-raw', minSeq: checkpoint.seq });
    expect(record).toMatchObject({
      sessionId: 'sdk-raw',
      status: 'open',
      parentSessionId: null,
      heartbeatTimeoutMs: 60_000,
      onOrphan: 'checkpoint_and_close',
      metadata: { purpose: 'test' },
      lastHeartbeatAt: expect.stringMatching(ISO),
      lastCheckpoint: { state: { step: 1 }, turn: 1, at: expect.stringMatching(ISO) },
      closedAt: null,
    });

    const closed = await client.session.close({ ...held, state: { step: 2 } });
    expect(closed).toEqual({ closed: true, releasedLeases: 0, seq: expect.any(Number) });
    expect(await client.session.get({ sessionId: 'sdk-raw', minSeq: closed.seq })).toMatchObject({ status: 'closed', lastCheckpoint: { state: { step: 2 } } });
    expect(await refusal(client.session.heartbeat(held))).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'SESSION_CLOSED' });
    expect(await refusal(client.session.get({ sessionId: 'never-opened' }))).toMatchObject({ code: 'NOT_FOUND' });

    const deprecated = await client.session.open({ timeoutMs: 30_000 });
    expect(deprecated).toMatchObject({ heartbeatTimeoutMs: 30_000, warnings: [expect.stringContaining('heartbeatTimeoutMs')] });
    expect(await refusal(client.session.open({ onOrphan: 'sometimes' as never }))).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('facts - write, search, tick, status, reflect, export, purge', async () => {
    const written = await client.facts.write({ ns: 'sdk', content: 'D[db]: use postgres for the read models', scope: 'storage' });
    expect(written).toEqual({
      id: expect.any(String),
      status: 'stored',
      type: 'D',
      target: 'db',
      scope: 'storage',
      superseded: [],
      truncated: false,
      pressure: { pct: expect.any(Number), level: 'ok' },
      warnings: [],
      seq: expect.any(Number),
    });
    expect(await client.facts.write({ ns: 'sdk', content: 'D[db]: use postgres for the read models', scope: 'storage' })).toMatchObject({ id: written.id, status: 'duplicate' });
    const newer = await client.facts.write({ ns: 'sdk', content: 'D[db]: use postgres with pgvector', scope: 'storage' });
    expect(newer.superseded).toEqual([written.id]);
    expect(await refusal(client.facts.write({ ns: 'sdk', content: 'not a fact' }))).toMatchObject({ code: 'INVALID_ARGUMENT' });

    const found = await client.facts.search({ ns: 'sdk', query: 'pgvector' });
    expect(found.facts).toEqual([{ id: newer.id, type: 'D', target: 'db', content: 'use postgres with pgvector', scope: 'storage', tier: 'hot', line: 'D[db]: use postgres with pgvector', provenance: expect.objectContaining({ seq: newer.seq, transport: 'nats' }) }]);
    expect(await refusal(client.facts.search({ ns: 'sdk', query: 'x', scope: 'no-such-scope' }))).toMatchObject({ code: 'NOT_FOUND' });

    expect(await client.facts.tick({ ns: 'sdk', sessionId: 's1', turn: 1, message: 'still working on it' })).toEqual({ cooled: [], reasons: {}, seq: expect.any(Number) });
    const status = await client.facts.status({ ns: 'sdk' });
    expect(status).toEqual({ block: expect.stringContaining('pgvector'), tokens: expect.any(Number), pressure: { pct: expect.any(Number), level: 'ok' }, hot: 1, cold: 0 });
    const reflected = await client.facts.reflect({ ns: 'sdk', topic: 'postgres' });
    expect(reflected).toMatchObject({ topic: 'postgres', count: 1, groups: { decisions: [expect.objectContaining({ id: newer.id })], constraints: [] } });
    expect(await client.facts.export({ ns: 'sdk' })).toEqual({ lines: ['D[db]: use postgres with pgvector'], facts: [expect.objectContaining({ id: newer.id })] });
    expect(await client.facts.purge({ ns: 'sdk' })).toEqual({ purged: expect.any(Number), seq: expect.any(Number) });
  });

  it('audit - a tenant sees its own events from the log, typed, oldest first', async () => {
    const { seq } = await client.kv.put({ ns: 'sdk-audit', key: 'k', value: 1 });
    const page = await client.audit.query({ fromSeq: 1, block: 'kv', ns: 'sdk-audit', types: ['kv.value_set'], limit: 10, minSeq: seq });
    expect(page).toEqual({
      events: [expect.objectContaining({ seq, type: 'kv.value_set', block: 'kv', ns: 'sdk-audit', entity: 'k', tenant: 'default', at: expect.stringMatching(ISO), data: expect.objectContaining({ value: 1 }) })],
      nextSeq: null,
    });
  });

  it('retried no call of this suite: every refusal above was final at once', () => {
    expect(retries).toEqual([]);
  });
});

describe('client - retries', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  const policy = { maxRetries: 5, baseDelayMs: 200 };

  /** A client that records its retries and the `Mem-Request-Id` of every attempt it puts on the wire. */
  const connect = async (options: MemoryClientOptions = {}) => {
    const retries: Retry[] = [];
    const attempts: { op: string; requestId?: string }[] = [];
    const client = await MemoryClient.connect({
      natsUrl: f.nats.url,
      token: f.service.adminToken(),
      logger: quiet,
      retryPolicy: policy,
      onRetry: (op, attempt, delayMs, error) => retries.push({ op, attempt, delayMs, error }),
      ...options,
    });
    const request = client.transport.request.bind(client.transport);
    client.transport.request = (op, body, headers, timeoutMs) => {
      attempts.push({ op, requestId: headers.requestId });
      return request(op, body, headers, timeoutMs);
    };
    return { client, retries, attempts };
  };

  /** Each pause lies in its jitter band, [ceiling * (1 - jitter), ceiling] with ceiling = min(cap, base * 2^attempt). */
  const expectInBand = (retries: Retry[], capDelayMs: number, baseDelayMs = policy.baseDelayMs, jitterFactor = 0.25) => {
    for (const r of retries) {
      const ceiling = Math.min(capDelayMs, baseDelayMs * 2 ** r.attempt);
      expect(r.delayMs, `attempt ${r.attempt}`).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - jitterFactor)));
      expect(r.delayMs, `attempt ${r.attempt}`).toBeLessThanOrEqual(ceiling);
    }
  };

  it('a put while the service is down is retried with one request id until the restarted service applies it once', async () => {
    const { client, retries, attempts } = await connect();
    try {
      await f.service.stop();
      const put = client.kv.put({ ns: 'outage', key: 'k', value: 'survived' });
      // The first failure starts the restart; the put keeps retrying meanwhile.
      await expect.poll(() => retries.length, { timeout: 5_000 }).toBeGreaterThan(0);
      const restarted = f.service.restart().then((service) => {
        f.service = service;
      });
      // A restart that failed explains a failed put: report it first.
      const [restart, outcome] = await Promise.allSettled([restarted, put]);
      if (restart.status === 'rejected') throw restart.reason;
      if (outcome.status === 'rejected') throw outcome.reason;
      const result = outcome.value;

      expect(result).toMatchObject({ version: 1, seq: expect.any(Number) });
      expect(retries.length).toBeGreaterThanOrEqual(1);
      for (const r of retries) expect(r).toMatchObject({ op: 'kv.put', error: { code: 'UNAVAILABLE', retryable: true } });
      expect(retries.map((r) => r.attempt)).toEqual(retries.map((_, i) => i));
      expectInBand(retries, 30_000);

      expect(attempts).toHaveLength(retries.length + 1);
      const ids = new Set(attempts.map((a) => a.requestId));
      expect(ids.size).toBe(1);
      const [requestId] = [...ids];
      expect(requestId).toMatch(UUID);

      const events = (await f.logOf('mem.evt.kv.>')).filter((e) => e.ns === 'outage');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'kv.value_set', requestId, seq: result.seq });
      expect(await client.kv.get({ ns: 'outage', key: 'k' })).toMatchObject({ found: true, value: 'survived', version: 1 });
    } finally {
      await client.shutdown();
    }
  });

  it('a refusal is never retried: INVALID_ARGUMENT, PERMISSION_DENIED, FAILED_PRECONDITION', async () => {
    const narrowToken = f.service.token({ tenant: 'default', agent: 'narrow', namespaces: ['kv/mine'], ops: ['kv.get'] });
    const { client, retries, attempts } = await connect();
    const narrow = await connect({ token: narrowToken });
    try {
      const started = Date.now();
      expect(await refusal(client.kv.put({ ns: 'bad ns!', key: 'k', value: 1 }))).toMatchObject({ code: 'INVALID_ARGUMENT', retryable: false });
      expect(await refusal(client.kv.put({ ns: 'refusals', key: 'k', value: 1, ifVersion: 3 }))).toMatchObject({ reason: 'VERSION_MISMATCH', retryable: false });
      expect(await refusal(narrow.client.kv.put({ ns: 'mine', key: 'k', value: 1 }))).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
      expect(await refusal(narrow.client.kv.get({ ns: 'theirs', key: 'k' }))).toMatchObject({ code: 'PERMISSION_DENIED' });
      // One attempt each, and no pause: the first retry would have waited at least 150 ms.
      expect(retries).toEqual([]);
      expect(narrow.retries).toEqual([]);
      expect(attempts).toHaveLength(2);
      expect(narrow.attempts).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(150 * 4);
    } finally {
      await client.shutdown();
      await narrow.client.shutdown();
    }
  });

  it('pauses stay in the jitter band and under the cap, and stop after maxRetries', async () => {
    // No instance serves this subject: every attempt fails at once with NO_RESPONDERS.
    const capped = await connect({ retryPolicy: { maxRetries: 5, baseDelayMs: 200, capDelayS: 0.5 } });
    try {
      const error = await refusal(capped.client.call('nothing.served', {}));
      expect(error).toMatchObject({ code: 'UNAVAILABLE', reason: 'NO_RESPONDERS' });
      expect(capped.retries.map((r) => r.attempt)).toEqual([0, 1, 2, 3, 4]);
      expect(capped.attempts).toHaveLength(6);
      expectInBand(capped.retries, 500);
      for (const r of capped.retries) expect(r.delayMs).toBeLessThanOrEqual(500);
      // Past the cap the band no longer grows.
      expect(capped.retries.slice(2).every((r) => r.delayMs >= 375)).toBe(true);
    } finally {
      await capped.client.shutdown();
    }
  });
});
