import { isMemError, type Clock, type MemError } from '@memsidecar/core';
import type { EventLog } from '@memsidecar/event-store';

/**
 * Wakes a waiting acquirer when anything is appended to the lease's subject after `fromSeq` (a
 * release, an expiry, a takeover), instead of polling: a subscription to that one subject, opened
 * only once an attempt was refused. Events that arrive while an attempt runs are remembered, so a
 * release between the attempt and the wait is never missed.
 */
class SubjectWakeup {
  private pending = false;
  private waking: AbortController | null = null;
  private readonly ending = new AbortController();

  constructor(
    log: EventLog,
    subject: string,
    fromSeq: number,
    private readonly clock: Clock,
  ) {
    const subscription = log.subscribe({ filter: subject, fromSeq, signal: this.ending.signal, name: `lease wait on ${subject}`, batch: 16 });
    void (async () => {
      for await (const _ of subscription) {
        this.pending = true;
        this.waking?.abort();
      }
    })().catch(() => {
      // Without wake-ups the waiter still tries again when the lease lapses and at its deadline.
    });
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

  /** Ends the subscription (on JetStream, its consumer); the reply does not wait for it. */
  close(): void {
    this.ending.abort();
  }
}

const isLeaseHeld = (e: unknown): e is MemError => isMemError(e) && e.reason === 'LEASE_HELD';

/**
 * Runs `attempt` until it succeeds or `waitMs` has passed on `clock`: after each LEASE_HELD it
 * sleeps until the next event on the lease's subject in `log`, the lease's own expiry, or the
 * deadline. An acquire that never waits costs one read of the subject's last sequence; only a
 * refused one subscribes.
 */
export async function withLeaseWait<T>(
  log: EventLog,
  subject: string,
  clock: Clock,
  start: Date,
  waitMs: number,
  attempt: (now: Date) => Promise<T>,
): Promise<T> {
  if (waitMs === 0) return attempt(start);
  const deadline = start.getTime() + waitMs;
  // Every refusal is decided on state at or after this sequence: what follows it is news to the waiter.
  const seen = await log.lastSeq(subject);
  let wakeup: SubjectWakeup | null = null;
  try {
    for (let now = start; ; now = clock.now()) {
      try {
        return await attempt(now);
      } catch (e) {
        if (!isLeaseHeld(e) || now.getTime() >= deadline) throw e;
        wakeup ??= new SubjectWakeup(log, subject, seen + 1, clock);
        const expiresAt = Date.parse(String(e.details?.expiresAt));
        const until = Number.isNaN(expiresAt) ? deadline : Math.min(deadline, expiresAt);
        await wakeup.next(until - clock.now().getTime());
      }
    }
  } finally {
    wakeup?.close();
  }
}
