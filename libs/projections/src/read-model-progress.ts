import { MemError, allEventsFilter, systemClock } from '@memsidecar/core';
import type { EventLog } from '@memsidecar/event-store';
import { RateMeter } from './rate-meter';
import { SeqWaiters } from './seq-waiters';

/** Behind the log with nothing applied for this long: stalled. */
const STALLED_AFTER_MS = 1_000;
const OBSERVE_EVERY_MS = 250;
const LOG_POLL_MS = 20;

/**
 * Where a read model stands: `current` (applied all the log holds for it, as far as known),
 * `catching_up` (behind, applying), `stalled` (behind, nothing applied for a while), `parked` (an
 * event it cannot apply waits for an operator), `database_unavailable` (its batches cannot commit).
 */
export type ReadModelState = 'current' | 'catching_up' | 'stalled' | 'parked' | 'database_unavailable';

export interface ProgressDeps {
  name: string;
  store: EventLog;
  /** The read model's events in the log. */
  filter: string;
  untilSeq: number;
  /** Why a read up to `seq` cannot be served now, if it cannot. */
  blockedFor(seq: number): MemError | null;
  /** Someone waits: apply without lingering. */
  onWaiting(): void;
}

/** How far a read model got: its applied sequence, who waits for more, its statistics, and whether it keeps up. */
export class ReadModelProgress {
  private appliedSeq = 0;
  /** Transactions committed and events applied, for the metrics. */
  readonly stats = { batches: 0, events: 0 };
  /** Events applied per second, recently. */
  readonly rate = new RateMeter();
  private readonly waiters = new SeqWaiters();
  private lastAdvanceAt = Date.now();
  private behindSince: number | null = null;
  private observer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: ProgressDeps) {}

  get applied(): number {
    return this.appliedSeq;
  }

  get waiting(): boolean {
    return this.waiters.size > 0;
  }

  /** Notes when the read model fell behind the log, so a stall is told apart from a moment's lag. */
  observe(logEnd: number): void {
    if (logEnd <= this.appliedSeq) this.behindSince = null;
    else this.behindSince ??= Date.now();
  }

  observeEvery(logEnd: () => number): void {
    this.observer = setInterval(() => this.observe(logEnd()), OBSERVE_EVERY_MS);
    this.observer.unref();
  }

  stopObserving(): void {
    if (this.observer) clearInterval(this.observer);
  }

  /** `current`, `catching_up` or `stalled` (parked and outages are the recovery's to tell). */
  state(logEnd: number, impairment: string | null | undefined): { state: ReadModelState; reason?: string } {
    this.observe(logEnd);
    if (this.behindSince === null) return { state: 'current' };
    const idleMs = Date.now() - Math.max(this.behindSince, this.lastAdvanceAt);
    if (idleMs < STALLED_AFTER_MS) return { state: 'catching_up' };
    return { state: 'stalled', reason: `at ${this.appliedSeq} while the log holds ${logEnd}; nothing applied for ${idleMs} ms${impairment ? ` (${impairment})` : ''}` };
  }

  /** A transaction committed `count` events, the last at `seq`. */
  committed(count: number, seq: number): void {
    this.stats.batches++;
    this.stats.events += count;
    this.rate.note(this.stats.events);
    this.advance(seq);
  }

  advance(seq: number): void {
    if (seq <= this.appliedSeq) return;
    this.appliedSeq = seq;
    this.lastAdvanceAt = Date.now();
    this.waiters.resolveThrough(seq);
  }

  /** Resolves once the read model has applied `seq`; DEADLINE_EXCEEDED after `timeoutMs`, UNAVAILABLE at once when it cannot get there. */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (seq <= this.appliedSeq) return Promise.resolve();
    const blocked = this.deps.blockedFor(seq);
    if (blocked) return Promise.reject(blocked);
    const waited = this.waiters.add(seq, timeoutMs, () => this.deadlineExceeded(seq, timeoutMs));
    this.deps.onWaiting();
    return waited;
  }

  /** Fails at once every waiter the read model cannot serve now. */
  failBlockedWaiters(): void {
    this.waiters.rejectBlocked((seq) => this.deps.blockedFor(seq));
  }

  /**
   * Waits until every event of this read model up to `upTo` is applied (all of the log, by default;
   * never past `untilSeq`). A sequence the log has not reached yet is waited for too, within the same deadline.
   */
  async catchUp(timeoutMs: number, upTo = Number.MAX_SAFE_INTEGER): Promise<void> {
    upTo = Math.min(upTo, this.deps.untilSeq);
    if (upTo <= this.appliedSeq) return;
    const deadline = Date.now() + timeoutMs;
    if (upTo !== Number.MAX_SAFE_INTEGER) {
      while ((await this.logEndWithin(allEventsFilter(this.deps.store.prefix), deadline)) < upTo) {
        if (Date.now() >= deadline) throw this.deadlineExceeded(upTo, timeoutMs);
        await systemClock.sleep(LOG_POLL_MS);
      }
    }
    const last = await this.logEndWithin(this.deps.filter, deadline);
    await this.waitFor(Math.min(last, upTo), Math.max(1, deadline - Date.now()));
  }

  /** The log's last sequence on `filter`, asked again (a look-up lost with a connection fails fast) until `deadline`. */
  private async logEndWithin(filter: string, deadline: number): Promise<number> {
    for (;;) {
      try {
        return await this.deps.store.lastSeq(filter);
      } catch (e) {
        if (Date.now() + LOG_POLL_MS >= deadline) throw e;
        await systemClock.sleep(LOG_POLL_MS);
      }
    }
  }

  private deadlineExceeded(seq: number, timeoutMs: number): MemError {
    return new MemError('DEADLINE_EXCEEDED', `read model ${this.deps.name} did not reach sequence ${seq} within ${timeoutMs} ms`, undefined, {
      field: 'minSeq',
      applied: this.appliedSeq,
    });
  }
}

