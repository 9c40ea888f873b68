import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { issueToken, readSigningKeys } from '@memsidecar/auth';
import { NatsTestClient, sleep } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/**
 * What kv needs a running service for: many connections contending, tokens signed by the service's
 * key, request ids and fire-and-forget over NATS, the service surface. Its behaviour (versions,
 * compare-and-set, TTL, mget and list, bad input) is specified in process: test/in-process/kv.spec.ts.
 */
describe.each(['postgres', 'pglite'] as const)('kv - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind, { MEMSIDECAR_READ_WAIT_MS: '1500' });
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });

  describe('contention over the transport', () => {
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

  describe('tokens and tenants', () => {
    beforeAll(async () => {
      await client.ok('kv.put', { ns: 'values', key: 'k0', value: null });
    });

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

    it('items carry the provenance of their write: the token’s agent, id and trust, with transport nats', async () => {
      const labelled = f.service.token({ tenant: 'default', agent: 'tester', namespaces: ['kv/provenance'], ops: ['kv.*'], tokenId: 'tok-medium', trust: 'medium' });
      const put = await client.withToken(labelled).ok('kv.put', { ns: 'provenance', key: 'k', value: 1 });
      expect((await client.ok('kv.get', { ns: 'provenance', key: 'k' })).provenance).toEqual({ agent: 'tester', tokenId: 'tok-medium', transport: 'nats', seq: put.seq, at: put.updatedAt, trust: 'medium' });
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
