import { describe, expect, it } from 'vitest';
import { ManualClock } from '@memsidecar/core';
import { AggregateRuntime, InMemoryEventLog, type LogSubscription, type SubscribeOptions } from '@memsidecar/event-store';
import { leaseAddress, leaseAggregate, leaseSubject } from './lease.aggregate';
import type { LeaseCommand } from './lease.decider';
import { withLeaseWait } from './lease.wait';

/** The in-memory log, recording the subscriptions opened on it. */
class WatchedLog extends InMemoryEventLog {
  readonly subscriptions: SubscribeOptions[] = [];

  override subscribe(o: SubscribeOptions): LogSubscription {
    this.subscriptions.push(o);
    return super.subscribe(o);
  }
}

/** One lease key on the real runtime over the in-memory log, on a manual clock. */
function setup() {
  const clock = new ManualClock();
  const log = new WatchedLog({ clock });
  const runtime = new AggregateRuntime(log, { find: async () => null }, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 });
  const subject = leaseSubject('mem', 't', 'ns', 'k');
  const run = (command: LeaseCommand, now = clock.now()) => runtime.handle(leaseAggregate, leaseAddress('t', 'ns', 'k'), command, { now, tenant: 't', agent: 'a' });
  const acquire = (holderId: string, ttlMs: number) => run({ type: 'AcquireLease', holderId, ttlMs });
  const acquireWaiting = (holderId: string, ttlMs: number, waitMs: number) =>
    withLeaseWait(log, subject, clock, clock.now(), waitMs, (now) => run({ type: 'AcquireLease', holderId, ttlMs }, now));
  /** Resolves once the waiter sleeps on the clock (it was refused and waits for news). */
  const waiting = () => clock.whenSleeping(1);
  return { clock, log, run, acquire, acquireWaiting, waiting };
}

describe('lease - waiting for a lease over the event log', () => {
  it('an acquire that is not refused opens no subscription', async () => {
    const { log, acquireWaiting } = setup();
    const { event } = await acquireWaiting('a', 1_000, 5_000);
    expect(event).toMatchObject({ type: 'lease.acquired', data: { holderId: 'a', fencingToken: 1 } });
    expect(log.subscriptions).toEqual([]);
  });

  it('a refused acquire wakes at the release, without the clock moving, and ends its subscription', async () => {
    const { clock, log, run, acquire, acquireWaiting, waiting } = setup();
    const first = await acquire('a', 30_000);
    const started = clock.now();
    const second = acquireWaiting('b', 1_000, 10_000);
    await waiting();
    expect(log.subscriptions).toEqual([expect.objectContaining({ filter: leaseSubject('mem', 't', 'ns', 'k'), fromSeq: first.event!.seq + 1 })]);
    await run({ type: 'ReleaseLease', holderId: 'a', reason: 'released' });
    expect((await second).event).toMatchObject({ type: 'lease.acquired', data: { holderId: 'b', fencingToken: 2, acquiredAt: started.toISOString() } });
    expect(log.subscriptions[0].signal?.aborted).toBe(true);
    expect(clock.sleeping).toBe(0);
  });

  it('a release appended between the first look at the log and the refusal is not missed', async () => {
    const { clock, log, run, acquire } = setup();
    await acquire('a', 30_000);
    const subject = leaseSubject('mem', 't', 'ns', 'k');
    // The attempt is refused on the state before the release, which lands before the wait begins.
    let attempts = 0;
    const waited = withLeaseWait(log, subject, clock, clock.now(), 10_000, async (now) => {
      if (attempts++ > 0) return run({ type: 'AcquireLease', holderId: 'b', ttlMs: 1_000 }, now);
      const refused = run({ type: 'AcquireLease', holderId: 'b', ttlMs: 1_000 }, now);
      await refused.catch(() => undefined);
      await run({ type: 'ReleaseLease', holderId: 'a', reason: 'released' });
      return refused;
    });
    expect((await waited).event).toMatchObject({ data: { holderId: 'b', fencingToken: 2 } });
    expect(attempts).toBe(2);
  });

  it('a refused acquire takes the lease over when it lapses on the clock, with no event', async () => {
    const { clock, log, acquire, acquireWaiting, waiting } = setup();
    const first = await acquire('a', 400);
    const second = acquireWaiting('b', 1_000, 5_000);
    await waiting();
    await clock.advance(399);
    expect(clock.sleeping).toBe(1);
    await clock.advance(1);
    const { event } = await second;
    expect(event).toMatchObject({ data: { holderId: 'b', fencingToken: 2, acquiredAt: (first.event!.data as { expiresAt: string }).expiresAt } });
    expect(log.subscriptions[0].signal?.aborted).toBe(true);
  });

  it('gives up with LEASE_HELD once waitMs has passed on the clock, and ends its subscription', async () => {
    const { clock, log, acquire, acquireWaiting, waiting } = setup();
    await acquire('a', 30_000);
    const second = acquireWaiting('b', 1_000, 800);
    const settled = second.then(
      () => 'acquired',
      (e: { reason?: string }) => e.reason,
    );
    await waiting();
    await clock.advance(799);
    expect(clock.sleeping).toBe(1);
    await clock.advance(1);
    expect(await settled).toBe('LEASE_HELD');
    expect(log.subscriptions[0].signal?.aborted).toBe(true);
  });

  it('waitMs 0 is one attempt and reads nothing else', async () => {
    const { acquire, acquireWaiting, log } = setup();
    await acquire('a', 30_000);
    await expect(acquireWaiting('b', 1_000, 0)).rejects.toMatchObject({ reason: 'LEASE_HELD' });
    expect(log.subscriptions).toEqual([]);
  });

  it('keeps waiting after another waiter won the release, and wakes again at the next', async () => {
    const { clock, log, run, acquire, acquireWaiting } = setup();
    await acquire('a', 30_000);
    const b = acquireWaiting('b', 30_000, 10_000);
    const c = acquireWaiting('c', 30_000, 10_000);
    await clock.whenSleeping(2);
    await run({ type: 'ReleaseLease', holderId: 'a', reason: 'released' });
    const winner = await Promise.race([b, c]);
    const holder = winner.event!.data.holderId;
    await clock.whenSleeping(1);
    expect(log.subscriptions.filter((s) => !s.signal?.aborted)).toHaveLength(1);
    await run({ type: 'ReleaseLease', holderId: holder, reason: 'released' });
    const [got, other] = await Promise.all([b, c]);
    expect([got.event!.data.fencingToken, other.event!.data.fencingToken].sort()).toEqual([2, 3]);
    expect(log.subscriptions.every((s) => s.signal?.aborted)).toBe(true);
  });
});
