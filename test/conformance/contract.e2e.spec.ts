import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceFixture } from '../support/fixture';
import { grpcContractClient, httpContractClient, natsContractClient, type ContractClient } from '@memsidecar/testing';

/** Replies compared as the contract means them: a null field and an absent one are the same. */
const withoutNulls = (value: any): any =>
  Array.isArray(value) ? value.map(withoutNulls) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)])) : value;

const socket = join(mkdtempSync(join(tmpdir(), 'memsidecar-grpc-')), 'memsidecar.sock');

/**
 * The contract's behaviours, run unchanged over every transport: NATS request/reply, HTTP/JSON,
 * gRPC over TCP and gRPC over a unix socket, against one service. Each transport works in
 * namespaces of its own.
 */
describe('conformance - the contract over every transport', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing', MEMSIDECAR_GRPC_SOCKET: socket });
  const clients: Record<string, ContractClient> = {};

  beforeAll(async () => {
    const token = f.service.adminToken();
    clients.nats = await natsContractClient(f.nats.url, token);
    clients.http = httpContractClient(f.service.httpUrl, token);
    clients['grpc-tcp'] = grpcContractClient('grpc-tcp', f.service.grpcAddr, token);
    clients['grpc-uds'] = grpcContractClient('grpc-uds', `unix:${socket}`, token);
  });

  afterAll(async () => {
    await Promise.all(Object.values(clients).map((c) => c.close()));
  });

  describe.each(['nats', 'http', 'grpc-tcp', 'grpc-uds'])('%s', (transport) => {
    const c = () => clients[transport];
    const ns = `conf-${transport}`;
    const ok = async (op: string, body: object, o?: Parameters<ContractClient['call']>[2]) => {
      const reply = await c().call(op, body, o);
      if (!reply.ok) throw new Error(`${op} over ${transport} failed: ${JSON.stringify(reply.error)}`);
      return withoutNulls(reply.body);
    };
    const fails = async (op: string, body: object, o?: Parameters<ContractClient['call']>[2]) => {
      const reply = await c().call(op, body, o);
      if (reply.ok) throw new Error(`${op} over ${transport} succeeded: ${JSON.stringify(reply.body)}`);
      return reply.error;
    };

    it('kv - versions, compare-and-set, TTL, list order and pages, mget', async () => {
      expect(await ok('kv.put', { ns, key: 'a', value: { n: 1, tags: ['x'] }, ifVersion: 0, metadata: { by: 'test' } })).toMatchObject({ version: 1, seq: expect.any(Number) });
      expect(await fails('kv.put', { ns, key: 'a', value: 2, ifVersion: 0 })).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'VERSION_MISMATCH' });
      expect(await ok('kv.put', { ns, key: 'a', value: 'two', ifVersion: 1 })).toMatchObject({ version: 2 });
      expect(await ok('kv.get', { ns, key: 'a' })).toMatchObject({ found: true, key: 'a', value: 'two', version: 2 });
      expect(await ok('kv.get', { ns, key: 'missing' })).toEqual({ found: false });
      await ok('kv.put', { ns, key: 'b', value: [1, 2, { deep: true }], ttlMs: 3_600_000 });
      await ok('kv.put', { ns, key: 'c', value: false });
      expect((await ok('kv.get', { ns, key: 'b' })).expiresAt).toEqual(expect.any(String));
      const first = await ok('kv.list', { ns, limit: 2, includeValues: true });
      expect(first.items.map((i: any) => [i.key, i.value])).toEqual([
        ['a', 'two'],
        ['b', [1, 2, { deep: true }]],
      ]);
      expect(first.nextStartAfter).toBe('b');
      expect((await ok('kv.list', { ns, startAfter: 'b' })).items.map((i: any) => i.key)).toEqual(['c']);
      expect((await ok('kv.mget', { ns, keys: ['c', 'a', 'zzz', 'a'] })).items.map((i: any) => i.key)).toEqual(['a', 'c']);
      expect(await ok('kv.delete', { ns, key: 'c' })).toMatchObject({ existed: true });
      expect(await ok('kv.delete', { ns, key: 'c' })).toMatchObject({ existed: false });
    });

    it('a retried mutation with the same request id applies once', async () => {
      const first = await ok('kv.put', { ns, key: 'idem', value: 1 }, { requestId: `idem-${transport}` });
      const again = await ok('kv.put', { ns, key: 'idem', value: 1 }, { requestId: `idem-${transport}` });
      expect(again).toEqual(first);
      expect(await ok('kv.get', { ns, key: 'idem' })).toMatchObject({ version: 1 });
    });

    it('errors: bad input names the field, tokens are checked before existence, unknown things are NOT_FOUND', async () => {
      expect(await fails('kv.put', { ns: 'bad ns!', key: 'k', value: 1 })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'ns' } });
      expect(await fails('kv.get', { ns, key: 'a' }, { token: null })).toMatchObject({ code: 'UNAUTHENTICATED' });
      const narrow = f.service.token({ tenant: 'default', agent: 'narrow', namespaces: ['kv/other'], ops: ['kv.get'] });
      expect(await fails('kv.get', { ns, key: 'a' }, { token: narrow })).toMatchObject({ code: 'PERMISSION_DENIED' });
      expect(await fails('kv.put', { ns: 'other', key: 'a', value: 1 }, { token: narrow })).toMatchObject({ code: 'PERMISSION_DENIED' });
      expect(await fails('artifact.get', { ns, id: 'nope' })).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('episodic - dense cursors, dedup, filtered ranges, tail with history then end', async () => {
      const one = await ok('episodic.append', { ns, type: 'message', role: 'user', payload: { text: 'hi' }, dedupKey: 'm1' });
      expect(one).toMatchObject({ cursor: 1, deduplicated: false });
      expect(await ok('episodic.append', { ns, type: 'message', role: 'user', payload: { text: 'hi' }, dedupKey: 'm1' })).toMatchObject({ id: one.id, cursor: 1, deduplicated: true });
      await ok('episodic.append', { ns, type: 'tool_call', role: 'assistant', payload: { tool: 'search' } });
      await ok('episodic.append', { ns, type: 'message', role: 'assistant', payload: 'done' });
      const newest = await ok('episodic.range', { ns, type: 'message', reverse: true, limit: 1 });
      expect(newest.events.map((e: any) => [e.cursor, e.payload])).toEqual([[3, 'done']]);
      const tail = await c().stream('episodic.tail', { ns, afterCursor: 1, maxEvents: 2, maxMs: 5000 });
      expect(tail.error).toBeUndefined();
      expect(tail.items.map((e: any) => e.cursor)).toEqual([2, 3]);
      expect(withoutNulls(tail.items[0])).toMatchObject({ type: 'tool_call', payload: { tool: 'search' } });
    });

    it('semantic - upsert and dense, sparse and hybrid search with filters', async () => {
      const up = await ok('semantic.upsert', {
        ns,
        records: [
          { id: 'cats', content: 'cats purr and sleep all day', metadata: { kind: 'animal', legs: 4, pet: true }, payload: { legs: 4 } },
          { id: 'cars', content: 'cars need fuel and oil changes', metadata: { kind: 'machine' } },
        ],
      });
      expect(up.items.map((i: any) => [i.id, i.version])).toEqual([
        ['cats', 1],
        ['cars', 1],
      ]);
      for (const mode of ['dense', 'sparse', 'hybrid']) {
        const { hits } = await ok('semantic.search', { ns, queryText: 'cats purr', mode, topK: 1, includePayload: true });
        expect(hits.map((h: any) => h.id)).toEqual(['cats']);
        expect(hits[0]).toMatchObject({ metadata: { kind: 'animal', legs: 4, pet: true }, version: 1, payload: { legs: 4 } });
      }
      const explained = await ok('semantic.search', { ns, queryText: 'Do cats purr?', mode: 'hybrid', topK: 1, explain: true, fusion: { method: 'rrf', k: 5 }, filter: { legs: 4 } });
      expect(explained.hits[0]).toMatchObject({ id: 'cats', explain: { sparse: { rank: 1, terms: ['cat', 'purr'] }, dense: { rank: 1 }, fused: 2 / 6 } });
      expect(explained.explain).toMatchObject({ mode: 'hybrid', denseQuery: 'cats purr', sparseTerms: ['cat', 'purr'], fusion: { method: 'rrf', k: 5 }, depth: 100 });
      // proto3 leaves an empty list out.
      expect((await ok('semantic.search', { ns, queryText: 'cats', filter: { legs: '4' } })).hits ?? []).toEqual([]);
      expect((await ok('semantic.search', { ns, queryText: 'cats purr', filter: { kind: 'machine' } })).hits.map((h: any) => h.id)).toEqual(['cars']);
      expect(await ok('semantic.delete', { ns, ids: ['cars', 'nope'] })).toMatchObject({ existed: [true, false] });
    });

    it('artifact - put, ranged get, stat, list, streamed read, resumable upload with digest', async () => {
      const bytes = Buffer.from('hello artifact world');
      const ref = await ok('artifact.put', { ns, id: 'greeting', contentType: 'text/plain', metadata: { lang: 'en' }, data: bytes.toString('base64') });
      expect(ref).toMatchObject({ id: 'greeting', size: bytes.length, contentType: 'text/plain', version: 1 });
      const part = await ok('artifact.get', { ns, id: 'greeting', offset: 6, length: 8 });
      expect(Buffer.from(part.data, 'base64').toString()).toBe('artifact');
      expect(await ok('artifact.stat', { ns, id: 'greeting' })).toMatchObject({ found: true, sha256: ref.sha256 });
      expect((await ok('artifact.list', { ns, prefix: 'gre' })).items.map((i: any) => i.id)).toEqual(['greeting']);
      const read = await c().stream('artifact.read', { ns, id: 'greeting' });
      expect(read.error).toBeUndefined();
      expect(read.items.length).toBeGreaterThan(0);

      const { uploadId } = await ok('artifact.upload.begin', { ns, id: 'big' });
      await ok('artifact.upload.append', { uploadId, data: Buffer.from('part one, ').toString('base64') });
      await ok('artifact.upload.append', { uploadId, data: Buffer.from('part two').toString('base64') });
      expect(await fails('artifact.upload.commit', { uploadId, sha256: '0'.repeat(64) })).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'DIGEST_MISMATCH' });
      expect(await ok('artifact.stat', { ns, id: 'big' })).toEqual({ found: false });
    });

    it('lease - fencing tokens, LEASE_HELD, NOT_HOLDER, release', async () => {
      const held = await ok('lease.acquire', { ns, key: 'job', ttlMs: 60_000, holder: 'worker-1' });
      expect(held).toMatchObject({ key: 'job', fencingToken: 1 });
      expect(await fails('lease.acquire', { ns, key: 'job', ttlMs: 60_000 })).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD' });
      expect(await fails('lease.renew', { ns, key: 'job', holderId: 'someone-else' })).toMatchObject({ reason: 'NOT_HOLDER' });
      expect(await ok('lease.inspect', { ns, key: 'job' })).toMatchObject({ held: true, holderId: held.holderId, holder: 'worker-1' });
      expect(await ok('lease.release', { ns, key: 'job', holderId: held.holderId })).toMatchObject({ existed: true });
      expect(await ok('lease.acquire', { ns, key: 'job', ttlMs: 60_000 })).toMatchObject({ fencingToken: 2 });
    });

    it('session - open, heartbeat, session headers on writes, a stale token is SESSION_CLOSED', async () => {
      const s = await ok('session.open', { sessionId: `s-${transport}`, heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 30_000 });
      expect(s).toMatchObject({ sessionId: `s-${transport}`, heartbeatTimeoutMs: 30_000, sessionToken: expect.any(String) });
      await ok('session.heartbeat', { sessionId: s.sessionId, sessionToken: s.sessionToken });
      const bound = { sessionId: s.sessionId, sessionToken: s.sessionToken };
      await ok('kv.put', { ns, key: 'in-session', value: 1 }, bound);
      expect(await fails('kv.put', { ns, key: 'in-session', value: 2 }, { ...bound, sessionToken: 'stale' })).toMatchObject({ reason: 'SESSION_CLOSED' });
      await ok('session.checkpoint', { ...bound, state: { step: 3 }, turn: 3 });
      expect(await ok('session.close', bound)).toMatchObject({ closed: true });
      expect(await ok('session.get', { sessionId: s.sessionId })).toMatchObject({ status: 'closed', lastCheckpoint: expect.objectContaining({ turn: 3 }) });
    });

    it('facts - write, supersede, search and the prompt block', async () => {
      const written = await ok('facts.write', { ns, content: 'D[db]: use postgres' });
      expect(written).toMatchObject({ status: 'stored', type: 'D', target: 'db' });
      expect(await ok('facts.write', { ns, content: 'D[db]: use postgres 16' })).toMatchObject({ superseded: [written.id] });
      expect(await fails('facts.write', { ns, content: 'not a fact' })).toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await ok('facts.search', { ns, query: 'postgres' })).facts.map((x: any) => x.content)).toEqual(['use postgres 16']);
      const status = await ok('facts.status', { ns });
      expect(status.block).toContain('D[db]: use postgres 16');
      expect(status.tokens).toBeLessThanOrEqual(180);
    });

    it('audit - the tenant\'s events as logged, filtered, in pages', async () => {
      const first = await ok('kv.put', { ns, key: 'audited', value: { n: 1, list: [true, null] } }, { requestId: `audit-${transport}` });
      const second = await ok('kv.put', { ns, key: 'audited', value: 'two' });
      const logged = (await f.logOf(`mem.evt.kv.default.${ns}.audited`)).map(withoutNulls);
      const page = await ok('audit.query', { ns, block: 'kv', agent: 'admin', types: ['kv.value_*'], fromSeq: first.seq, limit: 1, minSeq: second.seq });
      expect(page).toEqual({ events: [logged[0]], nextSeq: second.seq });
      expect(page.events[0]).toMatchObject({ seq: first.seq, type: 'kv.value_set', v: 1, tenant: 'default', requestId: `audit-${transport}`, data: { value: { n: 1 } } });
      expect(await ok('audit.query', { ns, fromSeq: page.nextSeq, types: ['kv.*'] })).toEqual({ events: [logged[1]] });
      expect(await fails('audit.query', { ns, types: ['kv.*.bad'] })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'types' } });
      const noAudit = f.service.token({ tenant: 'default', agent: 'narrow', namespaces: ['*'], ops: ['kv.*'] });
      expect(await fails('audit.query', { ns }, { token: noAudit })).toMatchObject({ code: 'PERMISSION_DENIED' });
    });

    it('reads wait for minSeq', async () => {
      const { seq } = await ok('kv.put', { ns, key: 'fresh', value: 'v' });
      expect(await ok('kv.get', { ns, key: 'fresh', minSeq: seq })).toMatchObject({ value: 'v' });
    });
  });
});
