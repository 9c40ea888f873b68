import { describe, expect, it } from 'vitest';
import type { CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { leaseDecider, type AcquireLease } from './lease.decider';
import type { LeaseData, LeaseEvent, ReleaseReason, TakenOver } from './lease.events';

const spec = deciderSpec(leaseDecider, expect);
const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): CommandMeta => ({ now: new Date(t0.getTime() + ms), tenant: 't', agent: 'a' });
const iso = (ms: number) => new Date(t0.getTime() + ms).toISOString();

/** A lease by `holderId` with `token`, acquired at `fromMs` for `ttlMs`. */
const lease = (holderId: string, token: number, fromMs: number, ttlMs: number, o: Partial<LeaseData> = {}): LeaseData => ({
  holderId,
  holder: null,
  fencingToken: token,
  acquiredAt: iso(fromMs),
  expiresAt: iso(fromMs + ttlMs),
  ttlMs,
  metadata: null,
  sessionId: null,
  status: 'held',
  ...o,
});

const acquired = (data: LeaseData, takenOverFrom: TakenOver | null = null): LeaseEvent => ({ type: 'lease.acquired', v: 1, data: { ...data, takenOverFrom } });
const renewed = (data: LeaseData, expiresMs: number): LeaseEvent => ({ type: 'lease.renewed', v: 1, data: { ...data, expiresAt: iso(expiresMs) } });
const released = (data: LeaseData, reason: ReleaseReason = 'released'): LeaseEvent => ({ type: 'lease.released', v: 1, data: { ...data, status: 'released', reason } });
const expired = (data: LeaseData): LeaseEvent => ({ type: 'lease.expired', v: 1, data: { ...data, status: 'expired' } });

const acquire = (holderId: string, ttlMs: number, o: Partial<AcquireLease> = {}): AcquireLease => ({ type: 'AcquireLease', holderId, ttlMs, ...o });

const a1 = lease('h1', 1, 0, 1000);

describe('lease decider - acquire', () => {
  it('a free key is acquired with fencing token 1, its label, metadata and session', () => {
    const o = { holder: 'worker-7', metadata: { job: 'x' }, sessionId: 's1' };
    spec.given([]).when(acquire('h1', 1000, o), at(0)).then(acquired(lease('h1', 1, 0, 1000, o)));
  });

  it('a live lease held by anyone is LEASE_HELD', () => {
    spec.given([acquired(a1)]).when(acquire('h2', 500), at(999)).thenFails('FAILED_PRECONDITION', 'LEASE_HELD');
    spec.given([acquired(a1), renewed(a1, 2500)]).when(acquire('h2', 500), at(2000)).thenFails('FAILED_PRECONDITION', 'LEASE_HELD');
  });

  it('the refusal says until when the lease is held, so a waiter knows when to try again', () => {
    expect(() => leaseDecider.decide(acquire('h2', 500), leaseDecider.evolve(leaseDecider.initialState(), acquired(a1)), at(10))).toThrow(
      expect.objectContaining({ reason: 'LEASE_HELD', details: { expiresAt: iso(1000), fencingToken: 1 } }),
    );
  });

  it('a lapsed lease is taken over with the next fencing token, recording whom it took over', () => {
    spec.given([acquired(a1)]).when(acquire('h2', 300), at(1000)).then(acquired(lease('h2', 2, 1000, 300), { holderId: 'h1', expiresAt: iso(1000) }));
  });

  it('a lease whose expiry is recorded is taken over the same way', () => {
    spec.given([acquired(a1), expired(a1)]).when(acquire('h2', 300), at(5000)).then(acquired(lease('h2', 2, 5000, 300), { holderId: 'h1', expiresAt: iso(1000) }));
  });

  it('a released key is free: next token, nothing taken over', () => {
    spec.given([acquired(a1), released(a1)]).when(acquire('h2', 100), at(10)).then(acquired(lease('h2', 2, 10, 100)));
  });

  it('the fencing token keeps increasing across releases and expiries', () => {
    const a2 = lease('h2', 2, 10, 100);
    const a3 = lease('h3', 3, 500, 100);
    const history = [acquired(a1), released(a1), acquired(a2), expired(a2), acquired(a3, { holderId: 'h2', expiresAt: iso(110) })];
    spec.given(history).when(acquire('h4', 100), at(600)).then(acquired(lease('h4', 4, 600, 100), { holderId: 'h3', expiresAt: iso(600) }));
  });
});

describe('lease decider - renew', () => {
  it('the holder extends from now by the acquire TTL, or by the given one', () => {
    spec.given([acquired(a1)]).when({ type: 'RenewLease', holderId: 'h1' }, at(400)).then(renewed(a1, 1400));
    spec.given([acquired(a1)]).when({ type: 'RenewLease', holderId: 'h1', ttlMs: 5000 }, at(400)).then(renewed(a1, 5400));
  });

  it('a later renew without ttlMs still uses the acquire TTL', () => {
    spec.given([acquired(a1), renewed(a1, 5400)]).when({ type: 'RenewLease', holderId: 'h1' }, at(5000)).then(renewed(a1, 6000));
  });

  it('a wrong holder, a released lease, an expired lease or a free key is NOT_HOLDER', () => {
    const renew = { type: 'RenewLease', holderId: 'h1' } as const;
    spec.given([acquired(a1)]).when({ type: 'RenewLease', holderId: 'other' }, at(10)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
    spec.given([acquired(a1), released(a1)]).when(renew, at(10)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
    spec.given([acquired(a1)]).when(renew, at(1000)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
    spec.given([acquired(a1), expired(a1)]).when(renew, at(1000)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
    spec.given([]).when(renew, at(0)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
  });

  it('the old holder cannot renew after a takeover', () => {
    const a2 = lease('h2', 2, 1000, 1000);
    spec.given([acquired(a1), acquired(a2, { holderId: 'h1', expiresAt: iso(1000) })]).when({ type: 'RenewLease', holderId: 'h1' }, at(1100)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
  });
});

describe('lease decider - release', () => {
  it('the holder releases a live lease, recording the reason and the session', () => {
    const bound = lease('h1', 1, 0, 1000, { sessionId: 's1' });
    spec.given([acquired(a1)]).when({ type: 'ReleaseLease', holderId: 'h1', reason: 'released' }, at(10)).then(released(a1));
    spec.given([acquired(bound)]).when({ type: 'ReleaseLease', holderId: 'h1', reason: 'session_closed' }, at(10)).then(released(bound, 'session_closed'));
  });

  it('another holder of a live lease is NOT_HOLDER, also the old holder after a takeover', () => {
    spec.given([acquired(a1)]).when({ type: 'ReleaseLease', holderId: 'h9', reason: 'released' }, at(10)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
    const a2 = lease('h2', 2, 1000, 1000);
    spec.given([acquired(a1), acquired(a2, { holderId: 'h1', expiresAt: iso(1000) })]).when({ type: 'ReleaseLease', holderId: 'h1', reason: 'released' }, at(1100)).thenFails('FAILED_PRECONDITION', 'NOT_HOLDER');
  });

  it('no live lease (never acquired, released, lapsed, expired) releases nothing', () => {
    const release = { type: 'ReleaseLease', holderId: 'h1', reason: 'released' } as const;
    spec.given([]).when(release, at(0)).then(null);
    spec.given([acquired(a1), released(a1)]).when(release, at(10)).then(null);
    spec.given([acquired(a1)]).when(release, at(1000)).then(null);
    spec.given([acquired(a1), expired(a1)]).when(release, at(1000)).then(null);
  });

  it('a session ending after its lease went to another holder releases nothing', () => {
    const a2 = lease('h2', 2, 1000, 1000);
    spec.given([acquired(a1), acquired(a2, { holderId: 'h1', expiresAt: iso(1000) })]).when({ type: 'ReleaseLease', holderId: 'h1', reason: 'session_orphaned' }, at(1100)).then(null);
  });
});

describe('lease decider - expire', () => {
  it('records the lapse once it is due and the same holder still holds it', () => {
    spec.given([acquired(a1)]).when({ type: 'ExpireLease', holderId: 'h1' }, at(1000)).then(expired(a1));
  });

  it('does nothing before it is due, after a renew, a release, a takeover or an earlier expiry', () => {
    const expire = { type: 'ExpireLease', holderId: 'h1' } as const;
    spec.given([acquired(a1)]).when(expire, at(999)).then(null);
    spec.given([acquired(a1), renewed(a1, 3000)]).when(expire, at(1500)).then(null);
    spec.given([acquired(a1), released(a1)]).when(expire, at(1500)).then(null);
    spec.given([acquired(a1), acquired(lease('h2', 2, 1000, 10), { holderId: 'h1', expiresAt: iso(1000) })]).when(expire, at(5000)).then(null);
    spec.given([acquired(a1), expired(a1)]).when(expire, at(5000)).then(null);
  });
});

describe('lease decider - evolve', () => {
  it('the newest event alone rebuilds the state (the log is read from its last event)', () => {
    const history = [acquired(a1), renewed(a1, 1500), released({ ...a1, expiresAt: iso(1500) }, 'session_closed')];
    const folded = history.reduce(leaseDecider.evolve, leaseDecider.initialState());
    expect(leaseDecider.evolve(leaseDecider.initialState(), history[2])).toEqual(folded);
    expect(folded).toEqual({ ...a1, expiresAt: iso(1500), status: 'released' });
  });
});
