import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient, sleep } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/**
 * What leases need a running service for: contention over many NATS connections, and a waiting
 * acquire woken over the transport by a release on the JetStream log, in real time. Their behaviour
 * (round trip, NOT_HOLDER, waits, expiry and takeover, fencing tokens, the expiry worker, bad input,
 * permissions) is specified in process: test/in-process/lease.spec.ts.
 */
describe.each(['postgres', 'pglite'] as const)('lease - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind, { MEMSIDECAR_READ_WAIT_MS: '1500' });
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });

  const acquire = (ns: string, key: string, more: Record<string, unknown> = {}) => client.ok('lease.acquire', { ns, key, ttlMs: 30_000, ...more });

  describe('contention over the transport', () => {
    it('exactly one of 50 concurrent acquires on a free key wins; the others get LEASE_HELD', async () => {
      const clients = await Promise.all(Array.from({ length: 50 }, () => NatsTestClient.connect(f.nats.url, f.service.adminToken())));
      try {
        const replies = await Promise.all(clients.map((c) => c.call('lease.acquire', { ns: 'race', key: 'hot', ttlMs: 30_000 }, { timeoutMs: 30_000 })));
        const winners = replies.filter((r) => r.ok);
        expect(winners).toHaveLength(1);
        expect(winners[0].body.fencingToken).toBe(1);
        for (const r of replies.filter((r) => !r.ok)) expect(r).toMatchObject({ status: 412, error: { code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD' } });
        expect(await client.ok('lease.inspect', { ns: 'race', key: 'hot' })).toMatchObject({ held: true, holderId: winners[0].body.holderId });
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });

    it('a waiting acquire wakes as soon as the holder releases, well before its deadline', async () => {
      const first = await acquire('wait', 'released');
      const started = Date.now();
      const waiting = client.ok('lease.acquire', { ns: 'wait', key: 'released', ttlMs: 1000, waitMs: 8000 }, { timeoutMs: 15_000 });
      await sleep(300);
      await client.ok('lease.release', { ns: 'wait', key: 'released', holderId: first.holderId });
      const second = await waiting;
      expect(Date.now() - started).toBeLessThan(4000);
      expect(second.fencingToken).toBe(first.fencingToken + 1);
    });
  });
});
