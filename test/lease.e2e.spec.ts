import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject } from '@memsidecar/core';
import { NatsTestClient, sleep, waitFor } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const leaseSubject = (ns: string, key: string) => aggregateSubject('mem', { block: 'lease', tenant: 'default', ns, entity: key });

describe.each(['postgres', 'pglite'] as const)('lease - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind, { MEMSIDECAR_READ_WAIT_MS: '1500' });
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });

  const logOf = (ns: string, key: string) => f.logOf(leaseSubject(ns, key));

  const acquire = (ns: string, key: string, more: Record<string, unknown> = {}) => client.ok('lease.acquire', { ns, key, ttlMs: 30_000, ...more });

  describe('round trip', () => {
    it('acquire, inspect, renew, list and release', async () => {
      const got = await acquire('rt', 'job/1', { ttlMs: 10_000, holder: 'worker-1', metadata: { task: 'reindex' } });
      expect(got).toEqual({ key: 'job/1', holderId: expect.stringMatching(UUID), fencingToken: 1, acquiredAt: expect.any(String), expiresAt: expect.any(String), seq: expect.any(Number) });
      expect(Date.parse(got.expiresAt) - Date.parse(got.acquiredAt)).toBe(10_000);

      const seen = await client.ok('lease.inspect', { ns: 'rt', key: 'job/1' });
      expect(seen).toEqual({ held: true, holderId: got.holderId, holder: 'worker-1', fencingToken: 1, acquiredAt: got.acquiredAt, expiresAt: got.expiresAt, metadata: { task: 'reindex' } });

      const renewed = await client.ok('lease.renew', { ns: 'rt', key: 'job/1', holderId: got.holderId, ttlMs: 60_000 });
      expect(renewed).toEqual({ expiresAt: expect.any(String), fencingToken: 1, seq: expect.any(Number) });
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(got.expiresAt));
      expect(await client.ok('lease.inspect', { ns: 'rt', key: 'job/1', minSeq: renewed.seq })).toMatchObject({ held: true, expiresAt: renewed.expiresAt });
      const again = await client.ok('lease.renew', { ns: 'rt', key: 'job/1', holderId: got.holderId });
      expect(Date.parse(again.expiresAt) - Date.parse(renewed.expiresAt)).toBeLessThan(60_000);

      for (const key of ['job/2', 'Job/3', 'other']) await acquire('rt', key);
      const all = await client.ok('lease.list', { ns: 'rt' });
      expect(all.items.map((i: { key: string }) => i.key)).toEqual(['Job/3', 'job/1', 'job/2', 'other']);
      expect(all.items[1]).toEqual({ key: 'job/1', ...(await client.ok('lease.inspect', { ns: 'rt', key: 'job/1' })), held: undefined });
      const jobs = await client.ok('lease.list', { ns: 'rt', prefix: 'job/' });
      expect(jobs.items.map((i: { key: string }) => i.key)).toEqual(['job/1', 'job/2']);

      expect(await client.ok('lease.release', { ns: 'rt', key: 'job/1', holderId: got.holderId })).toEqual({ existed: true, seq: expect.any(Number) });
      expect(await client.ok('lease.inspect', { ns: 'rt', key: 'job/1' })).toEqual({ held: false });
      expect(await client.ok('lease.release', { ns: 'rt', key: 'job/1', holderId: got.holderId })).toEqual({ existed: false });
      expect(await client.ok('lease.release', { ns: 'rt', key: 'never', holderId: got.holderId })).toEqual({ existed: false });
      expect((await client.ok('lease.list', { ns: 'rt', prefix: 'job/' })).items.map((i: { key: string }) => i.key)).toEqual(['job/2']);
      expect((await client.call('lease.renew', { ns: 'rt', key: 'job/1', holderId: got.holderId })).error).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'NOT_HOLDER' });
    });

    it('a live lease of someone else is NOT_HOLDER for renew and release, and stays held', async () => {
      const got = await acquire('wrong', 'k');
      const stranger = '00000000-0000-4000-8000-000000000000';
      for (const op of ['lease.renew', 'lease.release']) {
        const reply = await client.call(op, { ns: 'wrong', key: 'k', holderId: stranger });
        expect(reply).toMatchObject({ ok: false, status: 412, error: { code: 'FAILED_PRECONDITION', reason: 'NOT_HOLDER' } });
      }
      expect(await client.ok('lease.inspect', { ns: 'wrong', key: 'k' })).toMatchObject({ held: true, holderId: got.holderId, expiresAt: got.expiresAt });
    });
  });

  describe('contention', () => {
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

    it('a waiting acquire gives up with LEASE_HELD once waitMs has passed', async () => {
      await acquire('wait', 'kept');
      const started = Date.now();
      const reply = await client.call('lease.acquire', { ns: 'wait', key: 'kept', ttlMs: 1000, waitMs: 800 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(800 - 20);
      expect(reply).toMatchObject({ ok: false, status: 412, error: { code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD' } });
      const at0 = await client.call('lease.acquire', { ns: 'wait', key: 'kept', ttlMs: 1000, waitMs: 0 });
      expect(at0.error).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD' });
    });

    it('a waiting acquire takes the lease over when it lapses during the wait', async () => {
      const first = await acquire('wait', 'lapsing', { ttlMs: 400 });
      const second = await client.ok('lease.acquire', { ns: 'wait', key: 'lapsing', ttlMs: 1000, waitMs: 5000 }, { timeoutMs: 15_000 });
      expect(Date.parse(second.acquiredAt)).toBeGreaterThanOrEqual(Date.parse(first.expiresAt));
      expect(second.fencingToken).toBe(2);
    });
  });

  describe('expiry', () => {
    it('an expired lease reads as free and is taken over; its old holder then gets NOT_HOLDER', async () => {
      const old = await acquire('exp', 'k', { ttlMs: 200 });
      await sleep(300);
      expect(await client.ok('lease.inspect', { ns: 'exp', key: 'k' })).toEqual({ held: false });
      expect((await client.ok('lease.list', { ns: 'exp' })).items).toEqual([]);
      expect((await client.call('lease.renew', { ns: 'exp', key: 'k', holderId: old.holderId })).error).toMatchObject({ reason: 'NOT_HOLDER' });
      const next = await acquire('exp', 'k');
      expect(next.fencingToken).toBe(2);
      for (const op of ['lease.renew', 'lease.release']) {
        expect((await client.call(op, { ns: 'exp', key: 'k', holderId: old.holderId })).error).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'NOT_HOLDER' });
      }
      expect(await client.ok('lease.inspect', { ns: 'exp', key: 'k' })).toMatchObject({ held: true, holderId: next.holderId });
    });

    it('fencing tokens strictly increase over acquires, releases and takeovers', async () => {
      const tokens: number[] = [];
      for (let round = 0; round < 3; round++) {
        const got = await acquire('fence', 'k');
        tokens.push(got.fencingToken);
        await client.ok('lease.release', { ns: 'fence', key: 'k', holderId: got.holderId });
      }
      for (let round = 0; round < 2; round++) {
        tokens.push((await acquire('fence', 'k', { ttlMs: 100 })).fencingToken);
        await sleep(150);
      }
      tokens.push((await acquire('fence', 'k')).fencingToken);
      expect(tokens).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('the lapse is recorded in the log as lease.expired, and the takeover names whom it took over', async () => {
      const old = await acquire('log', 'k', { ttlMs: 200, holder: 'lapsing' });
      const events = await waitFor(() => logOf('log', 'k'), (es) => es.some((e) => e.type === 'lease.expired'));
      expect(events.map((e) => e.type)).toEqual(['lease.acquired', 'lease.expired']);
      expect(events[1]).toMatchObject({ agent: 'memsidecar', data: { holderId: old.holderId, holder: 'lapsing', fencingToken: 1, expiresAt: old.expiresAt, status: 'expired' } });
      expect(Date.parse(events[1].at)).toBeGreaterThanOrEqual(Date.parse(old.expiresAt));

      const next = await acquire('log', 'k');
      const [, , acquired] = await logOf('log', 'k');
      expect(acquired).toMatchObject({ type: 'lease.acquired', data: { holderId: next.holderId, fencingToken: 2, takenOverFrom: { holderId: old.holderId, expiresAt: old.expiresAt } } });
      await client.ok('lease.release', { ns: 'log', key: 'k', holderId: next.holderId });
      expect((await logOf('log', 'k')).at(-1)).toMatchObject({ type: 'lease.released', data: { holderId: next.holderId, status: 'released', reason: 'released', sessionId: null } });
    });
  });

  describe('bad input and permissions', () => {
    const cases: [string, string, unknown, string][] = [
      ['missing ttlMs', 'lease.acquire', { ns: 'bad', key: 'k' }, 'ttlMs'],
      ['ttlMs 0', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 0 }, 'ttlMs'],
      ['ttlMs over a day', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 86_400_001 }, 'ttlMs'],
      ['fractional ttlMs', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 1.5 }, 'ttlMs'],
      ['ttlMs as a string', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: '100' }, 'ttlMs'],
      ['negative waitMs', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 100, waitMs: -1 }, 'waitMs'],
      ['waitMs over maxWaitMs', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 100, waitMs: 30_001 }, 'waitMs'],
      ['missing key', 'lease.acquire', { ns: 'bad', ttlMs: 100 }, 'key'],
      ['empty key', 'lease.acquire', { ns: 'bad', key: '', ttlMs: 100 }, 'key'],
      ['key with NUL', 'lease.acquire', { ns: 'bad', key: 'a\u0000b', ttlMs: 100 }, 'key'],
      ['key over 512 bytes', 'lease.inspect', { ns: 'bad', key: 'é'.repeat(257) }, 'key'],
      ['ns with a space', 'lease.acquire', { ns: 'a b', key: 'k', ttlMs: 100 }, 'ns'],
      ['holder over 256 characters', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 100, holder: 'h'.repeat(257) }, 'holder'],
      ['holder as a number', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 100, holder: 7 }, 'holder'],
      ['metadata with a number', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 100, metadata: { a: 1 } }, 'metadata'],
      ['misspelled field', 'lease.acquire', { ns: 'bad', key: 'k', ttlMs: 100, ttl: 5 }, 'ttl'],
      ['renew without holderId', 'lease.renew', { ns: 'bad', key: 'k' }, 'holderId'],
      ['renew with ttlMs 0', 'lease.renew', { ns: 'bad', key: 'k', holderId: 'x', ttlMs: 0 }, 'ttlMs'],
      ['release with an empty holderId', 'lease.release', { ns: 'bad', key: 'k', holderId: '' }, 'holderId'],
      ['negative minSeq', 'lease.inspect', { ns: 'bad', key: 'k', minSeq: -1 }, 'minSeq'],
      ['prefix as a number', 'lease.list', { ns: 'bad', prefix: 5 }, 'prefix'],
    ];

    it.each(cases)('%s is INVALID_ARGUMENT naming the field and changes nothing', async (_name, op, body, field) => {
      const before = await client.ok('lease.list', { ns: 'bad' });
      const reply = await client.call(op, body);
      expect(reply).toMatchObject({ ok: false, status: 400, error: { code: 'INVALID_ARGUMENT', details: { field } } });
      expect(reply.error!.message.startsWith(`${field}:`)).toBe(true);
      expect(await client.ok('lease.list', { ns: 'bad' })).toEqual(before);
      expect(await client.ok('lease.inspect', { ns: 'bad', key: 'k' })).toEqual({ held: false });
    });

    it('a token without lease.acquire is PERMISSION_DENIED and acquires nothing', async () => {
      const reader = client.withToken(f.service.token({ tenant: 'default', agent: 'reader', namespaces: ['lease/*'], ops: ['lease.inspect', 'lease.list'] }));
      const reply = await reader.call('lease.acquire', { ns: 'perm', key: 'k', ttlMs: 1000 });
      expect(reply).toMatchObject({ ok: false, status: 403, error: { code: 'PERMISSION_DENIED' } });
      expect(await reader.ok('lease.inspect', { ns: 'perm', key: 'k' })).toEqual({ held: false });
    });
  });
});
