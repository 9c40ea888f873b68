import { describe, expect, it } from 'vitest';
import { serviceFixture } from './support/fixture';

describe('http gateway - POST /v1/<block>/<op>', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${f.service.httpUrl}/v1/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${f.service.adminToken()}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('serves the same operations and bodies as NATS', async () => {
    const put = await post('kv/put', { ns: 'http', key: 'k', value: { a: 1 } });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ version: 1, seq: expect.any(Number) });
    expect(await (await post('kv/get', { ns: 'http', key: 'k' })).json()).toMatchObject({ found: true, value: { a: 1 } });
    const big = Buffer.alloc(400 * 1024, 1).toString('base64');
    const artifact = await post('artifact/put', { ns: 'http', id: 'big', data: big });
    expect(artifact.status).toBe(200);
    expect(await artifact.json()).toMatchObject({ size: 400 * 1024 });
    expect((await post('artifact/upload.begin', { ns: 'http' })).status).toBe(200);
  });

  it('answers errors with the contract status and body', async () => {
    const bad = await post('kv/put', { ns: 'bad ns', key: 'k', value: 1 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { field: 'ns' } } });
    const malformed = await post('kv/put', '{"ns":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { field: 'body' } } });
    expect((await post('kv/get', { ns: 'http', key: 'k' }, { authorization: '' })).status).toBe(401);
    const narrow = f.service.token({ tenant: 'default', namespaces: ['kv/other'], ops: ['kv.get'] });
    expect((await post('kv/get', { ns: 'http', key: 'k' }, { authorization: `Bearer ${narrow}` })).status).toBe(403);
    const cas = await post('kv/put', { ns: 'http', key: 'k', value: 2, ifVersion: 0 });
    expect(cas.status).toBe(412);
    expect(await cas.json()).toMatchObject({ error: { reason: 'VERSION_MISMATCH' } });
    expect((await post('kv/nope', {})).status).toBe(404);
  });

  it('honours Mem-Request-Id', async () => {
    const first = await (await post('kv/put', { ns: 'http', key: 'idem', value: 1 }, { 'mem-request-id': 'http-1' })).json();
    const again = await (await post('kv/put', { ns: 'http', key: 'idem', value: 1 }, { 'mem-request-id': 'http-1' })).json();
    expect(again).toEqual(first);
  });

  it('streams as newline-delimited JSON', async () => {
    for (let i = 0; i < 3; i++) await post('episodic/append', { ns: 'http', type: 't', payload: i });
    const res = await post('episodic/tail', { ns: 'http', afterCursor: 0, maxEvents: 3 });
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.payload)).toEqual([0, 1, 2]);
  });
});
