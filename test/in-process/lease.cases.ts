import { beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject, type StoredEvent } from '@memsidecar/core';
import type { InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * lease's behaviour through the dispatcher, the runtime, the read model and the expiry worker, in
 * one process over the in-memory log, on a manual clock (expiry, lapses and waits move with
 * `clock.advance`); declared on PGlite (lease.spec.ts) and on Postgres (lease.int.spec.ts).
 * Contention over many connections and the wake-up of a waiter over NATS stay in test/lease.e2e.spec.ts.
 */
export const leaseCases: InProcessCases = (service) => {
  let svc: InProcessService;
  beforeAll(() => {
    svc = service();
  });

  const acquire = (ns: string, key: string, more: Record<string, unknown> = {}) => svc.ok('lease.acquire', { ns, key, ttlMs: 30_000, ...more });
  const logOf = async (ns: string, key: string): Promise<StoredEvent[]> => {
    const events: StoredEvent[] = [];
    for await (const e of svc.log.read({ filter: aggregateSubject(svc.log.prefix, { block: 'lease', tenant: 'default', ns, entity: key }) })) events.push(e);
    return events;
  };
  /** A request that may still be waiting: whether it answered yet, and its outcome. */
  const pending = <T>(p: Promise<T>) => {
    const state = { done: false, outcome: p };
    void p.then(() => (state.done = true));
    return state;
  };
  /** Lets every continuation run that can (a waiting request then sleeps on the clock or has answered). */
  const letRun = () => new Promise((resolve) => setImmediate(resolve));

  describe('round trip', () => {
    it('acquire, inspect, renew, list and release', async () => {
      const acquired = await svc.when('lease.acquire', { ns: 'rt', key: 'job/1', ttlMs: 10_000, holder: 'worker-1', metadata: { task: 'reindex' } });
      const got = acquired.body;
      expect(got).toEqual({ key: 'job/1', holderId: expect.stringMatching(UUID), fencingToken: 1, acquiredAt: expect.any(String), expiresAt: expect.any(String), seq: expect.any(Number) });
      expect(Date.parse(got.expiresAt) - Date.parse(got.acquiredAt)).toBe(10_000);
      expect(acquired.events).toMatchObject([{ type: 'lease.acquired', entity: 'job/1', seq: got.seq, data: { holderId: got.holderId, holder: 'worker-1', fencingToken: 1, status: 'held', takenOverFrom: null } }]);

      const seen = await svc.ok('lease.inspect', { ns: 'rt', key: 'job/1' });
      expect(seen).toEqual({ held: true, holderId: got.holderId, holder: 'worker-1', fencingToken: 1, acquiredAt: got.acquiredAt, expiresAt: got.expiresAt, metadata: { task: 'reindex' } });

      await svc.clock.advance(1_000);
      const renewed = await svc.ok('lease.renew', { ns: 'rt', key: 'job/1', holderId: got.holderId, ttlMs: 60_000 });
      expect(renewed).toEqual({ expiresAt: expect.any(String), fencingToken: 1, seq: expect.any(Number) });
      expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(got.expiresAt));
      expect(Date.parse(renewed.expiresAt) - svc.clock.now().getTime()).toBe(60_000);
      expect(await svc.ok('lease.inspect', { ns: 'rt', key: 'job/1', minSeq: renewed.seq })).toMatchObject({ held: true, expiresAt: renewed.expiresAt });
      // A renew without ttlMs extends by the TTL the lease was acquired with.
      const again = await svc.ok('lease.renew', { ns: 'rt', key: 'job/1', holderId: got.holderId });
      expect(Date.parse(again.expiresAt) - Date.parse(renewed.expiresAt)).toBeLessThan(60_000);
      expect(Date.parse(again.expiresAt) - svc.clock.now().getTime()).toBe(10_000);

      for (const key of ['job/2', 'Job/3', 'other']) await acquire('rt', key);
      const all = await svc.ok('lease.list', { ns: 'rt' });
      expect(all.items.map((i: { key: string }) => i.key)).toEqual(['Job/3', 'job/1', 'job/2', 'other']);
      expect(all.items[1]).toEqual({ key: 'job/1', ...(await svc.ok('lease.inspect', { ns: 'rt', key: 'job/1' })), held: undefined });
      const jobs = await svc.ok('lease.list', { ns: 'rt', prefix: 'job/' });
      expect(jobs.items.map((i: { key: string }) => i.key)).toEqual(['job/1', 'job/2']);

      const released = await svc.when('lease.release', { ns: 'rt', key: 'job/1', holderId: got.holderId });
      expect(released).toMatchObject({ ok: true, body: { existed: true, seq: expect.any(Number) }, events: [{ type: 'lease.released', data: { holderId: got.holderId, status: 'released', reason: 'released' } }] });
      expect(released.body).toEqual({ existed: true, seq: released.events[0].seq });
      expect(await svc.ok('lease.inspect', { ns: 'rt', key: 'job/1' })).toEqual({ held: false });
      expect(await svc.when('lease.release', { ns: 'rt', key: 'job/1', holderId: got.holderId })).toEqual({ ok: true, body: { existed: false }, events: [] });
      expect(await svc.when('lease.release', { ns: 'rt', key: 'never', holderId: got.holderId })).toEqual({ ok: true, body: { existed: false }, events: [] });
      expect((await svc.ok('lease.list', { ns: 'rt', prefix: 'job/' })).items.map((i: { key: string }) => i.key)).toEqual(['job/2']);
      const renewReleased = await svc.when('lease.renew', { ns: 'rt', key: 'job/1', holderId: got.holderId });
      expect(renewReleased).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'NOT_HOLDER' }, events: [] });
    });

    it('a live lease of someone else is NOT_HOLDER for renew and release, and stays held', async () => {
      const got = await acquire('wrong', 'k');
      const stranger = '00000000-0000-4000-8000-000000000000';
      for (const op of ['lease.renew', 'lease.release']) {
        const reply = await svc.when(op, { ns: 'wrong', key: 'k', holderId: stranger });
        expect(reply).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'NOT_HOLDER' }, events: [] });
      }
      expect(await svc.ok('lease.inspect', { ns: 'wrong', key: 'k' })).toMatchObject({ held: true, holderId: got.holderId, expiresAt: got.expiresAt });
    });
  });

  describe('contention', () => {
    it('exactly one of 50 concurrent acquires on a free key wins; the others get LEASE_HELD and append nothing', async () => {
      const replies = await Promise.all(Array.from({ length: 50 }, () => svc.when('lease.acquire', { ns: 'race', key: 'hot', ttlMs: 30_000 })));
      const winners = replies.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      expect(winners[0].body.fencingToken).toBe(1);
      for (const r of replies.filter((r) => !r.ok)) expect(r.error).toMatchObject({ code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD', details: { expiresAt: winners[0].body.expiresAt, fencingToken: 1 } });
      expect((await logOf('race', 'hot')).map((e) => e.type)).toEqual(['lease.acquired']);
      expect(await svc.ok('lease.inspect', { ns: 'race', key: 'hot' })).toMatchObject({ held: true, holderId: winners[0].body.holderId });
    });

    it('a waiting acquire wakes as soon as the holder releases, the clock standing still', async () => {
      const first = await acquire('wait', 'released');
      const started = svc.clock.now();
      const waiting = pending(svc.when('lease.acquire', { ns: 'wait', key: 'released', ttlMs: 1000, waitMs: 8000 }));
      // The waiter sleeps on the clock beside the workers.
      await svc.idle(1);
      await letRun();
      expect(waiting.done).toBe(false);
      await svc.ok('lease.release', { ns: 'wait', key: 'released', holderId: first.holderId });
      expect(await waiting.outcome).toMatchObject({ ok: true, body: { fencingToken: first.fencingToken + 1, acquiredAt: started.toISOString() } });
      expect(svc.clock.now()).toEqual(started);
    });

    it('a waiting acquire gives up with LEASE_HELD once waitMs has passed on the clock', async () => {
      const held = await acquire('wait', 'kept');
      const waiting = pending(svc.when('lease.acquire', { ns: 'wait', key: 'kept', ttlMs: 1000, waitMs: 800 }));
      await svc.idle(1);
      await svc.clock.advance(799);
      await letRun();
      expect(waiting.done).toBe(false);
      await svc.clock.advance(1);
      expect(await waiting.outcome).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD', details: { expiresAt: held.expiresAt } }, events: [] });
      const at0 = await svc.when('lease.acquire', { ns: 'wait', key: 'kept', ttlMs: 1000, waitMs: 0 });
      expect(at0).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'LEASE_HELD' }, events: [] });
    });

    it('a waiting acquire takes the lease over when it lapses during the wait', async () => {
      const first = await acquire('wait', 'lapsing', { ttlMs: 400 });
      const waiting = svc.when('lease.acquire', { ns: 'wait', key: 'lapsing', ttlMs: 1000, waitMs: 5000 });
      await svc.idle(1);
      await svc.clock.advance(400);
      const second = await waiting;
      expect(second).toMatchObject({ ok: true, body: { fencingToken: 2 } });
      expect(Date.parse(second.body.acquiredAt)).toBeGreaterThanOrEqual(Date.parse(first.expiresAt));
      expect(second.events).toContainEqual(expect.objectContaining({ type: 'lease.acquired', data: expect.objectContaining({ takenOverFrom: { holderId: first.holderId, expiresAt: first.expiresAt } }) }));
    });
  });

  describe('expiry', () => {
    it('an expired lease reads as free and is taken over; its old holder then gets NOT_HOLDER', async () => {
      const old = await acquire('exp', 'k', { ttlMs: 200 });
      await svc.clock.advance(199);
      expect(await svc.ok('lease.inspect', { ns: 'exp', key: 'k' })).toMatchObject({ held: true, holderId: old.holderId });
      await svc.clock.advance(1);
      expect(await svc.ok('lease.inspect', { ns: 'exp', key: 'k' })).toEqual({ held: false });
      expect((await svc.ok('lease.list', { ns: 'exp' })).items).toEqual([]);
      expect((await svc.when('lease.renew', { ns: 'exp', key: 'k', holderId: old.holderId })).error).toMatchObject({ reason: 'NOT_HOLDER' });
      const next = await acquire('exp', 'k');
      expect(next.fencingToken).toBe(2);
      for (const op of ['lease.renew', 'lease.release']) {
        expect(await svc.when(op, { ns: 'exp', key: 'k', holderId: old.holderId })).toMatchObject({ error: { code: 'FAILED_PRECONDITION', reason: 'NOT_HOLDER' }, events: [] });
      }
      expect(await svc.ok('lease.inspect', { ns: 'exp', key: 'k' })).toMatchObject({ held: true, holderId: next.holderId });
    });

    it('fencing tokens strictly increase over acquires, releases and takeovers', async () => {
      const tokens: number[] = [];
      for (let round = 0; round < 3; round++) {
        const got = await acquire('fence', 'k');
        tokens.push(got.fencingToken);
        await svc.ok('lease.release', { ns: 'fence', key: 'k', holderId: got.holderId });
      }
      for (let round = 0; round < 2; round++) {
        tokens.push((await acquire('fence', 'k', { ttlMs: 100 })).fencingToken);
        await svc.clock.advance(150);
      }
      tokens.push((await acquire('fence', 'k')).fencingToken);
      expect(tokens).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('the lapse is recorded in the log as lease.expired, and the takeover names whom it took over', async () => {
      const old = await acquire('log', 'k', { ttlMs: 200, holder: 'lapsing' });
      // The sweep finds the lapse in the read model, which holds the acquisition before time moves.
      await svc.readModels.ready('lease');
      // The expiry worker sweeps a second after its last round ended: once it is idle after the
      // lapse, one more second holds a sweep that finds it.
      await svc.idle();
      await svc.clock.advance(200);
      await svc.idle();
      await svc.clock.advance(1_000);
      await svc.idle();
      const events = await logOf('log', 'k');
      expect(events.map((e) => e.type)).toEqual(['lease.acquired', 'lease.expired']);
      expect(events[1]).toMatchObject({ agent: 'memsidecar', data: { holderId: old.holderId, holder: 'lapsing', fencingToken: 1, expiresAt: old.expiresAt, status: 'expired' } });
      expect(Date.parse(events[1].at)).toBeGreaterThanOrEqual(Date.parse(old.expiresAt));

      const next = await acquire('log', 'k');
      const [, , acquired] = await logOf('log', 'k');
      expect(acquired).toMatchObject({ type: 'lease.acquired', data: { holderId: next.holderId, fencingToken: 2, takenOverFrom: { holderId: old.holderId, expiresAt: old.expiresAt } } });
      await svc.ok('lease.release', { ns: 'log', key: 'k', holderId: next.holderId });
      expect((await logOf('log', 'k')).at(-1)).toMatchObject({ type: 'lease.released', data: { holderId: next.holderId, status: 'released', reason: 'released', sessionId: null } });
    });
  });

  describe('bad input and permissions', () => {
    const cases: [string, string, Record<string, unknown>, string][] = [
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
      const before = await svc.ok('lease.list', { ns: 'bad' });
      const reply = await svc.when(op, body);
      expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
      expect(reply.error!.message.startsWith(`${field}:`)).toBe(true);
      expect(await svc.ok('lease.list', { ns: 'bad' })).toEqual(before);
      expect(await svc.ok('lease.inspect', { ns: 'bad', key: 'k' })).toEqual({ held: false });
    });

    it('a token without lease.acquire is PERMISSION_DENIED and acquires nothing; tenants never see each other’s leases', async () => {
      const reader = { namespaces: ['lease/*'], ops: ['lease.inspect', 'lease.list'] };
      const reply = await svc.when('lease.acquire', { ns: 'perm', key: 'k', ttlMs: 1000 }, { principal: reader });
      expect(reply).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' }, events: [] });
      expect(await svc.ok('lease.inspect', { ns: 'perm', key: 'k' }, { principal: reader })).toEqual({ held: false });

      const mine = await acquire('perm', 'shared');
      const other = { tenant: 'other-tenant' };
      expect(await svc.ok('lease.inspect', { ns: 'perm', key: 'shared' }, { principal: other })).toEqual({ held: false });
      const theirs = await svc.when('lease.acquire', { ns: 'perm', key: 'shared', ttlMs: 1000 }, { principal: other });
      expect(theirs).toMatchObject({ ok: true, body: { fencingToken: 1 }, events: [{ tenant: 'other-tenant', type: 'lease.acquired' }] });
      expect(await svc.ok('lease.inspect', { ns: 'perm', key: 'shared' })).toMatchObject({ held: true, holderId: mine.holderId });
    });
  });
};
