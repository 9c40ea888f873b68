import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/** Tenant A writes into every block; tenant B, with an all-ops token of its own, must see none of it. */
describe('tenant isolation - across every block', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  let a: NatsTestClient;
  let b: NatsTestClient;
  const seen: Record<string, any> = {};

  beforeAll(async () => {
    a = f.client.withToken(f.service.token({ tenant: 'alpha', agent: 'a', namespaces: ['*'], ops: ['*'] }));
    b = f.client.withToken(f.service.token({ tenant: 'beta', agent: 'b', namespaces: ['*'], ops: ['*'] }));
    await a.ok('kv.put', { ns: 'shared', key: 'secret', value: 'alpha-only' });
    seen.event = await a.ok('episodic.append', { ns: 'shared', type: 'note', payload: 'alpha-only' });
    await a.ok('semantic.upsert', { ns: 'shared', records: [{ id: 'r1', content: 'alpha secret plans' }] });
    seen.lease = await a.ok('lease.acquire', { ns: 'shared', key: 'lock', ttlMs: 60_000 });
    seen.session = await a.ok('session.open', { sessionId: 'alpha-session' });
    await a.ok('facts.write', { content: 'C[plans]: alpha secret plans', scope: 'alpha-scope' });
    await a.ok('artifact.put', { ns: 'shared', id: 'doc', data: Buffer.from('alpha-only').toString('base64') });
    seen.upload = await a.ok('artifact.upload.begin', { ns: 'shared', id: 'big' });
  });

  it('reads in another tenant find nothing', async () => {
    expect(await b.ok('kv.get', { ns: 'shared', key: 'secret' })).toEqual({ found: false });
    expect((await b.ok('kv.list', { ns: 'shared' })).items).toEqual([]);
    expect((await b.ok('kv.mget', { ns: 'shared', keys: ['secret'] })).items).toEqual([]);
    expect((await b.ok('episodic.range', { ns: 'shared', includeDeleted: true })).events).toEqual([]);
    expect((await b.ok('semantic.search', { ns: 'shared', queryText: 'alpha secret plans', includeInvalidated: true })).hits).toEqual([]);
    expect(await b.ok('lease.inspect', { ns: 'shared', key: 'lock' })).toEqual({ held: false });
    expect((await b.ok('lease.list', { ns: 'shared' })).items).toEqual([]);
    expect((await b.call('session.get', { sessionId: 'alpha-session' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await b.ok('facts.search', { query: 'plans' })).facts).toEqual([]);
    expect((await b.ok('facts.export', {})).lines).toEqual([]);
    expect((await b.call('facts.search', { query: 'plans', scope: 'alpha-scope' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await b.ok('facts.status', {})).hot).toBe(0);
    expect((await b.call('artifact.get', { ns: 'shared', id: 'doc' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect(await b.ok('artifact.stat', { ns: 'shared', id: 'doc' })).toEqual({ found: false });
    expect((await b.ok('artifact.list', { ns: 'shared' })).items).toEqual([]);
    const tail = await b.stream('episodic.tail', { ns: 'shared', afterCursor: 0, maxMs: 300 });
    expect(tail.items).toEqual([]);
  });

  it('changes in another tenant cannot touch the first tenant’s data', async () => {
    expect((await b.call('lease.release', { ns: 'shared', key: 'lock', holderId: seen.lease.holderId })).body).toEqual({ existed: false });
    expect(await b.ok('lease.acquire', { ns: 'shared', key: 'lock', ttlMs: 60_000 })).toMatchObject({ fencingToken: 1 });
    expect((await b.call('session.heartbeat', { sessionId: 'alpha-session', sessionToken: seen.session.sessionToken })).error).toMatchObject({ reason: 'SESSION_CLOSED' });
    expect((await b.call('artifact.upload.append', { uploadId: seen.upload.uploadId, data: 'aGk=' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await b.call('artifact.upload.commit', { uploadId: seen.upload.uploadId })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect(await b.ok('kv.delete', { ns: 'shared', key: 'secret' })).toEqual({ existed: false });
    expect((await b.ok('semantic.delete', { ns: 'shared', ids: ['r1'], hard: true })).existed).toEqual([false]);
    expect(await b.ok('episodic.expire', { ns: 'shared', beforeCursor: 10, action: 'hard', maxRows: 10 })).toEqual({ affected: 0 });
    expect(await b.ok('artifact.delete', { ns: 'shared', id: 'doc' })).toMatchObject({ existed: false });
    expect(await b.ok('facts.purge', {})).toEqual({ purged: 0 });

    // ... and tenant A still has everything.
    expect(await a.ok('kv.get', { ns: 'shared', key: 'secret' })).toMatchObject({ value: 'alpha-only' });
    expect((await a.ok('episodic.range', { ns: 'shared' })).events).toHaveLength(1);
    expect((await a.ok('semantic.search', { ns: 'shared', queryText: 'alpha secret plans' })).hits.map((h: { id: string }) => h.id)).toEqual(['r1']);
    expect(await a.ok('lease.inspect', { ns: 'shared', key: 'lock' })).toMatchObject({ held: true, holderId: seen.lease.holderId });
    expect(await a.ok('session.heartbeat', { sessionId: 'alpha-session', sessionToken: seen.session.sessionToken })).toMatchObject({ expiresAt: expect.any(String) });
    expect((await a.ok('facts.export', {})).lines).toEqual(['C[plans]: alpha secret plans']);
    expect(await a.ok('artifact.stat', { ns: 'shared', id: 'doc' })).toMatchObject({ found: true, size: 10 });
    expect(await a.ok('artifact.upload.append', { uploadId: seen.upload.uploadId, data: 'aGk=' })).toMatchObject({ size: 2 });
  });

  it('the same Mem-Request-Id in two tenants names two different writes', async () => {
    const first = await a.ok('kv.put', { ns: 'ids', key: 'k', value: 'a' }, { requestId: 'same-id' });
    const second = await b.ok('kv.put', { ns: 'ids', key: 'k', value: 'b' }, { requestId: 'same-id' });
    expect(second.seq).not.toBe(first.seq);
    expect(await b.ok('kv.get', { ns: 'ids', key: 'k' })).toMatchObject({ value: 'b' });
    expect(await a.ok('kv.get', { ns: 'ids', key: 'k' })).toMatchObject({ value: 'a' });
  });
});
