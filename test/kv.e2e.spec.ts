import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { issueToken, readSigningKeys } from '@memsidecar/auth';
import { NatsTestClient, sleep } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

describe.each(['postgres', 'pglite'] as const)('kv - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind, { MEMSIDECAR_READ_WAIT_MS: '1500' });
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });

  describe('values and versions', () => {
    it('stores any JSON value and reads it back with its version and times', async () => {
      for (const [i, value] of [null, 0, 'text', [1, 'two', { three: 3 }], { nested: { deep: [true, false] } }].entries()) {
        const put = await client.ok('kv.put', { ns: 'values', key: `k${i}`, value, metadata: { source: 'test' } });
        expect(put).toMatchObject({ version: 1, expiresAt: null, seq: expect.any(Number) });
        expect(put.createdAt).toBe(put.updatedAt);
        const got = await client.ok('kv.get', { ns: 'values', key: `k${i}` });
        expect(got).toEqual({ found: true, key: `k${i}`, value, version: 1, createdAt: put.createdAt, updatedAt: put.updatedAt, expiresAt: null, metadata: { source: 'test' } });
      }
    });

    it('adds 1 to the version per write and keeps createdAt across overwrites', async () => {
      const first = await client.ok('kv.put', { ns: 'versions', key: 'k', value: 1 });
      await sleep(5);
      const second = await client.ok('kv.put', { ns: 'versions', key: 'k', value: 2 });
      expect(second.version).toBe(2);
      expect(second.createdAt).toBe(first.createdAt);
      expect(second.updatedAt > first.updatedAt).toBe(true);
      expect(second.seq).toBeGreaterThan(first.seq);
    });

    it('accepts keys with dots, spaces, wildcards, non-ASCII and 512 bytes', async () => {
      for (const key of ['a.b.c', 'with space', '*', '>', 'a.*.>', 'ünï 日本 🙂', 'é'.repeat(256), '$SYS.x']) {
        await client.ok('kv.put', { ns: 'keys', key, value: key });
        expect(await client.ok('kv.get', { ns: 'keys', key })).toMatchObject({ found: true, key, value: key });
      }
    });

    it('a missing key is found: false, not an error', async () => {
      expect(await client.ok('kv.get', { ns: 'values', key: 'nope' })).toEqual({ found: false });
    });

    it('serves read-your-writes without any token, and minSeq waits (bounded) for the read models', async () => {
      const { seq } = await client.ok('kv.put', { ns: 'ryw', key: 'k', value: 'fresh' });
      expect(await client.ok('kv.get', { ns: 'ryw', key: 'k', minSeq: seq })).toMatchObject({ value: 'fresh' });
      const late = await client.call('kv.get', { ns: 'ryw', key: 'k', minSeq: seq + 1_000_000 });
      expect(late).toMatchObject({ ok: false, status: 504, error: { code: 'DEADLINE_EXCEEDED' } });
    });
  });

  describe('compare-and-set', () => {
    it('ifVersion 0 creates only; a mismatch is FAILED_PRECONDITION/VERSION_MISMATCH and changes nothing', async () => {
      expect(await client.ok('kv.put', { ns: 'cas', key: 'k', value: 'a', ifVersion: 0 })).toMatchObject({ version: 1 });
      const again = await client.call('kv.put', { ns: 'cas', key: 'k', value: 'b', ifVersion: 0 });
      expect(again).toMatchObject({ ok: false, status: 412, error: { code: 'FAILED_PRECONDITION', reason: 'VERSION_MISMATCH' } });
      const stale = await client.call('kv.put', { ns: 'cas', key: 'k', value: 'c', ifVersion: 7 });
      expect(stale.error?.reason).toBe('VERSION_MISMATCH');
      expect(await client.ok('kv.get', { ns: 'cas', key: 'k' })).toMatchObject({ value: 'a', version: 1 });
      expect(await client.ok('kv.put', { ns: 'cas', key: 'k', value: 'd', ifVersion: 1 })).toMatchObject({ version: 2 });
    });

    it('delete reports existed, honours ifVersion, and the next put starts at version 1', async () => {
      await client.ok('kv.put', { ns: 'del', key: 'k', value: 1 });
      await client.ok('kv.put', { ns: 'del', key: 'k', value: 2 });
      expect((await client.call('kv.delete', { ns: 'del', key: 'k', ifVersion: 1 })).error?.reason).toBe('VERSION_MISMATCH');
      expect(await client.ok('kv.delete', { ns: 'del', key: 'k', ifVersion: 2 })).toEqual({ existed: true, seq: expect.any(Number) });
      expect(await client.ok('kv.delete', { ns: 'del', key: 'k' })).toEqual({ existed: false });
      expect(await client.ok('kv.get', { ns: 'del', key: 'k' })).toEqual({ found: false });
      expect(await client.ok('kv.put', { ns: 'del', key: 'k', value: 3 })).toMatchObject({ version: 1 });
    });

    it('50 clients x 100 puts on one key end at version 5000', async () => {
      const clients = await Promise.all(Array.from({ length: 50 }, () => NatsTestClient.connect(f.nats.url, f.service.adminToken())));
      try {
        await Promise.all(
          clients.map(async (c, ci) => {
            for (let i = 0; i < 100; i++) await c.ok('kv.put', { ns: 'contended', key: 'hot', value: { ci, i } }, { timeoutMs: 30_000 });
          }),
        );
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
      expect(await client.ok('kv.get', { ns: 'contended', key: 'hot' })).toMatchObject({ version: 5000 });
    });
  });

  describe('ttl', () => {
    it('an expired key is gone from get, mget and list, counts as version 0, and a put without ttl clears expiry', async () => {
      const put = await client.ok('kv.put', { ns: 'ttl', key: 'short', value: 1, ttlMs: 300 });
      expect(Date.parse(put.expiresAt) - Date.parse(put.updatedAt)).toBe(300);
      await client.ok('kv.put', { ns: 'ttl', key: 'cleared', value: 1, ttlMs: 300 });
      expect(await client.ok('kv.put', { ns: 'ttl', key: 'cleared', value: 2 })).toMatchObject({ expiresAt: null });
      expect(await client.ok('kv.get', { ns: 'ttl', key: 'short' })).toMatchObject({ found: true });
      await sleep(450);
      expect(await client.ok('kv.get', { ns: 'ttl', key: 'short' })).toEqual({ found: false });
      expect(await client.ok('kv.mget', { ns: 'ttl', keys: ['short', 'cleared'] })).toMatchObject({ items: [{ key: 'cleared' }] });
      expect((await client.ok('kv.list', { ns: 'ttl' })).items.map((i: { key: string }) => i.key)).toEqual(['cleared']);
      expect(await client.ok('kv.put', { ns: 'ttl', key: 'short', value: 3, ifVersion: 0 })).toMatchObject({ version: 1 });
    });
  });

  describe('mget and list', () => {
    beforeAll(async () => {
      for (let i = 0; i < 25; i++) await client.ok('kv.put', { ns: 'paging', key: `item/${String(i).padStart(2, '0')}`, value: i });
      await client.ok('kv.put', { ns: 'paging', key: 'other', value: 'x' });
    });

    it('mget returns found keys only, sorted and de-duplicated', async () => {
      const { items } = await client.ok('kv.mget', { ns: 'paging', keys: ['item/10', 'missing', 'item/02', 'item/10'] });
      expect(items.map((i: { key: string }) => i.key)).toEqual(['item/02', 'item/10']);
      expect(items[0]).toMatchObject({ value: 2, version: 1 });
    });

    it('pages through a prefix in key order with an exclusive startAfter', async () => {
      const seen: string[] = [];
      let startAfter: string | undefined;
      let pages = 0;
      do {
        const page = await client.ok('kv.list', { ns: 'paging', prefix: 'item/', limit: 10, ...(startAfter ? { startAfter } : {}) });
        seen.push(...page.items.map((i: { key: string }) => i.key));
        startAfter = page.nextStartAfter ?? undefined;
        pages++;
      } while (startAfter);
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `item/${String(i).padStart(2, '0')}`));
    });

    it('lists values only when asked', async () => {
      const without = await client.ok('kv.list', { ns: 'paging', prefix: 'oth' });
      expect(without.items).toEqual([expect.not.objectContaining({ value: expect.anything() })]);
      const withValues = await client.ok('kv.list', { ns: 'paging', prefix: 'oth', includeValues: true });
      expect(withValues.items).toEqual([expect.objectContaining({ key: 'other', value: 'x', version: 1 })]);
    });
  });

  describe('bad input', () => {
    const big = 'x'.repeat(257 * 1024);
    const cases: [string, string, unknown, string][] = [
      ['malformed JSON', 'kv.put', '{"ns":', 'body'],
      ['a JSON array body', 'kv.put', '[1,2]', 'body'],
      ['missing ns', 'kv.put', { key: 'k', value: 1 }, 'ns'],
      ['ns with a space', 'kv.put', { ns: 'a b', key: 'k', value: 1 }, 'ns'],
      ['ns over 128 characters', 'kv.get', { ns: 'n'.repeat(129), key: 'k' }, 'ns'],
      ['empty key', 'kv.put', { ns: 'bad', key: '', value: 1 }, 'key'],
      ['key over 512 bytes', 'kv.put', { ns: 'bad', key: 'é'.repeat(257), value: 1 }, 'key'],
      ['key with NUL', 'kv.put', { ns: 'bad', key: 'a\u0000b', value: 1 }, 'key'],
      ['key with a lone surrogate', 'kv.put', '{"ns":"bad","key":"\\ud800","value":1}', 'key'],
      ['key that is a number', 'kv.put', { ns: 'bad', key: 5, value: 1 }, 'key'],
      ['missing value', 'kv.put', { ns: 'bad', key: 'k' }, 'value'],
      ['value over 256 KiB', 'kv.put', { ns: 'bad', key: 'k', value: big }, 'value'],
      ['negative ttlMs', 'kv.put', { ns: 'bad', key: 'k', value: 1, ttlMs: -5 }, 'ttlMs'],
      ['ttlMs as a string', 'kv.put', { ns: 'bad', key: 'k', value: 1, ttlMs: '100' }, 'ttlMs'],
      ['fractional ifVersion', 'kv.put', { ns: 'bad', key: 'k', value: 1, ifVersion: 1.5 }, 'ifVersion'],
      ['metadata with a number', 'kv.put', { ns: 'bad', key: 'k', value: 1, metadata: { a: 1 } }, 'metadata'],
      ['misspelled field', 'kv.put', { ns: 'bad', key: 'k', value: 1, ttl_ms: 5 }, 'ttl_ms'],
      ['empty keys list', 'kv.mget', { ns: 'bad', keys: [] }, 'keys'],
      ['bad key in list', 'kv.mget', { ns: 'bad', keys: ['ok', ''] }, 'keys'],
      ['limit 0', 'kv.list', { ns: 'bad', limit: 0 }, 'limit'],
      ['limit over 1000', 'kv.list', { ns: 'bad', limit: 1001 }, 'limit'],
      ['negative minSeq', 'kv.get', { ns: 'bad', key: 'k', minSeq: -1 }, 'minSeq'],
    ];

    it.each(cases)('%s is INVALID_ARGUMENT naming the field and changes nothing', async (_name, op, body, field) => {
      const before = await client.ok('kv.list', { ns: 'bad' });
      const reply = await client.call(op, body);
      expect(reply).toMatchObject({ ok: false, status: 400, error: { code: 'INVALID_ARGUMENT', details: { field } } });
      expect(reply.error!.message.startsWith(`${field}:`)).toBe(true);
      expect(await client.ok('kv.list', { ns: 'bad' })).toEqual(before);
    });

    it('a bad Mem-Request-Id is INVALID_ARGUMENT', async () => {
      const reply = await client.call('kv.put', { ns: 'bad', key: 'k', value: 1 }, { requestId: 'has space' });
      expect(reply.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'Mem-Request-Id' } });
    });
  });

  describe('tokens and tenants', () => {
    const scoped = (ns: string[], ops: string[], tenant = 'default', ttlMs?: number) =>
      f.service.token({ tenant, agent: 'tester', namespaces: ns, ops, ttlMs });

    it('a missing, malformed, expired or foreign token is UNAUTHENTICATED', async () => {
      const foreignKey = generateKeyPairSync('ed25519').privateKey;
      const expired = issueToken({ tenant: 'default', namespaces: ['*'], ops: ['*'], ttlMs: 1000 }, readKey(), new Date(Date.now() - 10_000));
      for (const token of ['', 'garbage', expired, issueToken({ tenant: 'default', namespaces: ['*'], ops: ['*'] }, foreignKey)]) {
        const reply = await client.withToken(token || undefined).call('kv.get', { ns: 'values', key: 'k0' });
        expect(reply).toMatchObject({ ok: false, status: 401, error: { code: 'UNAUTHENTICATED' } });
      }
    });

    it('a token without the op or the namespace is PERMISSION_DENIED, before existence is checked', async () => {
      const readOnly = client.withToken(scoped(['kv/values'], ['kv.get']));
      expect(await readOnly.ok('kv.get', { ns: 'values', key: 'k0' })).toMatchObject({ found: true });
      expect(await readOnly.call('kv.put', { ns: 'values', key: 'k0', value: 1 })).toMatchObject({ status: 403, error: { code: 'PERMISSION_DENIED' } });
      for (const key of ['k0', 'never-existed']) {
        expect(await readOnly.call('kv.get', { ns: 'keys', key })).toMatchObject({ status: 403, error: { code: 'PERMISSION_DENIED' } });
      }
      const prefixed = client.withToken(scoped(['kv/val*'], ['kv.*']));
      expect(await prefixed.ok('kv.get', { ns: 'values', key: 'k0' })).toMatchObject({ found: true });
    });

    it('tenants never see each other’s keys', async () => {
      const other = client.withToken(scoped(['*'], ['*'], 'other-tenant'));
      expect(await other.ok('kv.get', { ns: 'values', key: 'k0' })).toEqual({ found: false });
      expect((await other.ok('kv.list', { ns: 'values' })).items).toEqual([]);
      await other.ok('kv.put', { ns: 'values', key: 'k0', value: 'theirs' });
      expect(await client.ok('kv.get', { ns: 'values', key: 'k0' })).toMatchObject({ value: null });
      expect(await other.ok('kv.get', { ns: 'values', key: 'k0' })).toMatchObject({ value: 'theirs', version: 1 });
    });

    const readKey = () => readSigningKeys(f.service.dataDir)!.secretKey;
  });

  describe('request ids and fire-and-forget', () => {
    it('a mutation retried with the same Mem-Request-Id applies once and gets the original result', async () => {
      const first = await client.ok('kv.put', { ns: 'idem', key: 'k', value: 1 }, { requestId: 'req-a' });
      const retry = await client.ok('kv.put', { ns: 'idem', key: 'k', value: 1 }, { requestId: 'req-a' });
      expect(retry).toEqual(first);
      expect(await client.ok('kv.get', { ns: 'idem', key: 'k' })).toMatchObject({ version: 1 });
      const createOnce = await client.ok('kv.put', { ns: 'idem', key: 'c', value: 1, ifVersion: 0 }, { requestId: 'req-b' });
      expect(await client.ok('kv.put', { ns: 'idem', key: 'c', value: 1, ifVersion: 0 }, { requestId: 'req-b' })).toEqual(createOnce);
      const del = await client.ok('kv.delete', { ns: 'idem', key: 'c' }, { requestId: 'req-c' });
      expect(await client.ok('kv.delete', { ns: 'idem', key: 'c' }, { requestId: 'req-c' })).toEqual(del);
    });

    it('a request id reused for another key is INVALID_ARGUMENT', async () => {
      await client.ok('kv.put', { ns: 'idem', key: 'x', value: 1 }, { requestId: 'req-d' });
      const reply = await client.call('kv.put', { ns: 'idem', key: 'y', value: 1 }, { requestId: 'req-d' });
      expect(reply.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'Mem-Request-Id' } });
    });

    it('a publish without a reply subject is still carried out', async () => {
      client.publish('kv.put', { ns: 'fire', key: 'k', value: 'forgotten' });
      let got: { found: boolean } = { found: false };
      for (let i = 0; i < 50 && !got.found; i++) {
        await sleep(50);
        got = await client.ok('kv.get', { ns: 'fire', key: 'k' });
      }
      expect(got).toMatchObject({ found: true, value: 'forgotten' });
    });
  });

  describe('service surface', () => {
    it('is a NATS micro service named memsidecar with error headers on failures', async () => {
      const ping = await client.nc.request('$SRV.PING.memsidecar', '', { timeout: 2000 });
      expect(JSON.parse(ping.string())).toMatchObject({ name: 'memsidecar', type: 'io.nats.micro.v1.ping_response' });
      const info = JSON.parse((await client.nc.request('$SRV.INFO.memsidecar', '', { timeout: 2000 })).string());
      expect(info.endpoints.map((e: { subject: string }) => e.subject)).toEqual(
        expect.arrayContaining(['mem.v1.kv.put', 'mem.v1.kv.get', 'mem.v1.kv.mget', 'mem.v1.kv.delete', 'mem.v1.kv.list']),
      );
      expect(info.endpoints.every((e: { queue_group: string }) => e.queue_group === 'memsidecar')).toBe(true);
      const msg = await client.nc.request('mem.v1.kv.get', '{}', { timeout: 2000 });
      expect(msg.headers?.get('Nats-Service-Error-Code')).toBe('401');
      expect(msg.headers?.get('Nats-Service-Error')).toContain('token');
    });

    it('serves /healthz, /readyz and Prometheus /metrics', async () => {
      await client.ok('kv.put', { ns: 'metrics', key: 'k', value: 1 });
      await client.ok('kv.get', { ns: 'metrics', key: 'k' });
      expect((await fetch(`${f.service.httpUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${f.service.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { nats: 'ok', database: 'ok', projections: { kv_entries: { lag: 0 } } } });
      const metrics = await (await fetch(`${f.service.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(/memsidecar_requests_total\{op="kv.put",code="OK",transport="nats"\} \d+/);
      expect(metrics).toMatch(/memsidecar_request_duration_seconds_bucket\{le="0.001",op="kv.get",transport="nats"\}/);
      expect(metrics).toMatch(/memsidecar_events_appended_total\{block="kv"\} \d+/);
      expect(metrics).toMatch(/memsidecar_projection_lag_events\{read_model="kv_entries"\} 0/);
      expect(metrics).not.toContain('other-tenant');
    });
  });
});
