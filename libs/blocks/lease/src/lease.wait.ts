import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { isMemError, type Clock, type MemError } from '@memsidecar/core';

/**
 * Wakes a waiting acquirer when anything is appended to the lease's subject (a release, an
 * expiry), instead of polling. Events that arrive while an attempt runs are remembered, so a
 * release between the attempt and the wait is never missed.
 */
class SubjectWakeup {
  private pending = false;
  private waking: AbortController | null = null;
  private readonly sub: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    subject: string,
    private readonly clock: Clock,
  ) {
    this.sub = nc.subscribe(subject, {
      callback: () => {
        this.pending = true;
        this.waking?.abort();
      },
    });
  }

  /** Resolves once the server has the subscription, so nothing appended after this is missed. */
  ready(): Promise<void> {
    return this.nc.flush();
  }

  /** Resolves at the next event on the subject, or after `ms` on the clock, whichever comes first. */
  async next(ms: number): Promise<void> {
    if (!this.pending) {
      this.waking = new AbortController();
      await this.clock.sleep(Math.max(0, ms), this.waking.signal);
      this.waking = null;
    }
    this.pending = false;
  }

  close(): void {
    this.sub.unsubscribe();
  }
}

const isLeaseHeld = (e: unknown): e is MemError => isMemError(e) && e.reason === 'LEASE_HELD';

/**
 * Runs `attempt` until it succeeds or `waitMs` has passed on `clock`: after each LEASE_HELD it
 * sleeps until the next event on the lease's subject, the lease's own expiry, or the deadline.
 */
export async function withLeaseWait<T>(
  nc: NatsConnection,
  subject: string,
  clock: Clock,
  start: Date,
  waitMs: number,
  attempt: (now: Date) => Promise<T>,
): Promise<T> {
  if (waitMs === 0) return attempt(start);
  const deadline = start.getTime() + waitMs;
  const wakeup = new SubjectWakeup(nc, subject, clock);
  try {
    await wakeup.ready();
    for (let now = start; ; now = clock.now()) {
      try {
        return await attempt(now);
      } catch (e) {
        if (!isLeaseHeld(e) || now.getTime() >= deadline) throw e;
        const expiresAt = Date.parse(String(e.details?.expiresAt));
        const until = Number.isNaN(expiresAt) ? deadline : Math.min(deadline, expiresAt);
        await wakeup.next(until - clock.now().getTime());
      }
    }
  } finally {
    wakeup.close();
  }
}
