import { blockEventsFilter, type StoredEvent } from '@memsidecar/core';
import type { BlockDependencies, BlockWorker } from '@memsidecar/api';
import { releaseSessionLeases } from '@memsidecar/lease';
import type { SessionEvent } from './session.events';

/** Its row in `mem_checkpoints`: the sequence up to which every ended session's leases were released. */
export const SESSION_LEASE_RELEASE_CHECKPOINT = 'session_lease_release';

const BACKOFF_FIRST_MS = 100;
const BACKOFF_CAP_MS = 5_000;
/** Events that end no session move the checkpoint this often at most (their redo costs nothing). */
const SAVE_EVERY_MS = 1_000;

const ENDS: ReadonlySet<string> = new Set<SessionEvent['type']>(['session.closed', 'session.orphaned']);

const INSERT_CHECKPOINT = `INSERT INTO mem_checkpoints (name, seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`;
const READ_CHECKPOINT = `SELECT seq FROM mem_checkpoints WHERE name = $1`;
/** Only ever forward: several instances move it, each past what it released itself. */
const MOVE_CHECKPOINT = `UPDATE mem_checkpoints SET seq = $2, updated_at = now() WHERE name = $1 AND seq < $2`;

/**
 * The guarantee that an ended session's leases are released: `session.close` and the orphan
 * detector release them right after appending the session event, but a crash in between would
 * leave them held until their TTL. Every instance runs one: it follows the session events from
 * its checkpoint, and for each `session.closed` or `session.orphaned` releases the leases the
 * session held then (request ids derived from the event, so a release done inline, by another
 * instance or before a crash is not done again), then moves the checkpoint. A failure (database
 * or log away) retries the same event with a backoff; nothing is skipped.
 */
export class SessionLeaseReleaser implements BlockWorker {
  readonly name = 'session-lease-release';
  private unsubscribe: AbortController | null = null;
  /** The loop over the session events; ends once unsubscribed. */
  private following: Promise<void> | null = null;
  private starting: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private saver: NodeJS.Timeout | null = null;
  /** Every session event up to here is handled by this instance, and up to `saved` recorded as such. */
  private handled = 0;
  private saved = 0;
  private failing: { since: number; what: string } | null = null;
  private waiters: { seq: number; resolve: () => void }[] = [];

  constructor(private readonly deps: BlockDependencies) {}

  /** Sequence of the newest session event this instance has handled. */
  get position(): number {
    return this.handled;
  }

  start(): void {
    this.stopped = false;
    this.starting = this.open();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.starting;
    this.unsubscribe?.abort();
    await this.following;
    this.following = null;
    if (this.saver) clearInterval(this.saver);
    await this.save().catch(() => undefined);
  }

  /** Resolves once every session event up to `seq` is handled here; false after `timeoutMs`. */
  waitFor(seq: number, timeoutMs: number): Promise<boolean> {
    if (seq <= this.handled) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { seq, resolve: () => (clearTimeout(timer), resolve(true)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private async open(): Promise<void> {
    const checkpoint = await this.retrying('reading its checkpoint', async () => {
      await this.deps.db.query(INSERT_CHECKPOINT, [SESSION_LEASE_RELEASE_CHECKPOINT]);
      const rows = await this.deps.db.query<{ seq: string }>(READ_CHECKPOINT, [SESSION_LEASE_RELEASE_CHECKPOINT]);
      return Number(rows[0]?.seq ?? 0);
    });
    if (checkpoint === undefined || this.stopped) return;
    this.handled = this.saved = checkpoint;
    const filter = blockEventsFilter(this.deps.store.prefix, 'session');
    this.unsubscribe = new AbortController();
    const subscription = this.deps.store.subscribe({ name: this.name, filter, fromSeq: checkpoint + 1, batch: 256, signal: this.unsubscribe.signal, logger: this.deps.logger });
    this.following = (async () => {
      // An erased session's leases went with its tenant's read models.
      for await (const event of subscription) if (!event.erased) await this.take(event);
    })();
    this.saver = setInterval(() => void this.save().catch(() => undefined), SAVE_EVERY_MS);
    this.saver.unref();
  }

  /** Never throws: a failure is retried here, since the subscription delivers each event once. */
  private async take(event: StoredEvent): Promise<void> {
    if (this.stopped) return;
    if (ENDS.has(event.type)) {
      const done = await this.retrying(`releasing the leases of session ${event.entity} (tenant ${event.tenant}, seq ${event.seq})`, async () => {
        await this.release(event);
        this.handled = event.seq;
        await this.save();
        return true;
      });
      // Stopped before it could be done: the checkpoint stays before it, the next start does it.
      if (!done) return;
    }
    this.handled = event.seq;
    this.notify();
  }

  private async release(event: StoredEvent): Promise<void> {
    const reason = event.type === 'session.closed' ? 'session_closed' : 'session_orphaned';
    const meta = { now: this.deps.clock.now(), tenant: event.tenant, agent: 'memsidecar' };
    const released = await releaseSessionLeases(this.deps, event.tenant, event.entity, reason, meta, { eventId: event.id, seq: event.seq });
    if (released > 0) this.deps.logger.log(`${this.name}: session ${event.entity} of tenant ${event.tenant} ended (seq ${event.seq}); its ${released} lease(s) are released`);
  }

  private async save(): Promise<void> {
    const seq = this.handled;
    if (seq <= this.saved) return;
    await this.deps.db.prepared(MOVE_CHECKPOINT, [SESSION_LEASE_RELEASE_CHECKPOINT, seq]);
    this.saved = Math.max(this.saved, seq);
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const stay: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.seq <= this.handled) w.resolve();
      else stay.push(w);
    }
    this.waiters = stay;
  }

  /** Runs `work` until it succeeds (its result) or the worker stops (undefined), with a capped backoff. */
  private async retrying<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const result = await work();
        if (this.failing) {
          this.deps.logger.log(`${this.name}: ${this.failing.what} works again after ${this.secondsSince(this.failing.since)} s`);
          this.failing = null;
        }
        return result;
      } catch (e) {
        if (!this.failing) {
          this.failing = { since: this.deps.clock.now().getTime(), what };
          this.deps.logger.error(`${this.name}: ${what} failed (${(e as Error).message}); retrying with a backoff`);
        }
        await this.pause(Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** attempt));
      }
    }
    return undefined;
  }

  private secondsSince(since: number): string {
    return ((this.deps.clock.now().getTime() - since) / 1000).toFixed(1);
  }

  /** On real time, whatever the block's clock: it waits for a database or log to come back, which nothing but real time brings. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

export const sessionLeaseReleaser = (deps: BlockDependencies): SessionLeaseReleaser => new SessionLeaseReleaser(deps);
