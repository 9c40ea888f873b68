import { MemError, allEventsFilter, blockEventsFilter, isMemError, type StoredEvent } from '@memsidecar/core';
import type { EventLog, LogSubscription } from '@memsidecar/event-store';
import type { CopyColumns } from './copy-rows';
import type { Database, SqlExecutor } from './database';
import { appendRows, columnsOf, type Projection } from './projection';
import { ProjectionErrors } from './projection-errors';
import { RateMeter } from './rate-meter';

const MAX_BATCH = 500;
const MAX_BUFFERED = 5_000;
/** A batch that fails for another reason than an unreachable database is tried this often, then its culprit is parked. */
const POISON_ATTEMPTS = 5;
const RETRY_DELAY_MS = 200;
/** While the database is unreachable, a batch is tried again this often (not counted as attempts). */
const OUTAGE_RETRY_MS = 250;
/** Behind the log with nothing applied for this long: stalled. */
const STALLED_AFTER_MS = 1_000;
const OBSERVE_EVERY_MS = 250;
/** A parked event is looked at this often for an operator's retry or skip, or another instance's progress. */
const PARKED_POLL_MS = 1_000;
/** With nobody waiting for a read, events gather this long so one transaction applies many. */
const LINGER_MS = 20;
const LOG_POLL_MS = 20;

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: MemError) => void;
}

export interface RunnerOptions {
  /** Apply only the events up to this stream sequence: the read model as of that point in the log. */
  untilSeq?: number;
  /** Events per transaction; a rebuild uses larger batches than the live default. */
  maxBatch?: number;
}

/**
 * Where a read model stands: `current` (applied all the log holds for it, as far as known),
 * `catching_up` (behind, applying), `stalled` (behind, nothing applied for a while), `parked` (an
 * event it cannot apply waits for an operator), `database_unavailable` (its batches cannot commit).
 */
export type ReadModelState = 'current' | 'catching_up' | 'stalled' | 'parked' | 'database_unavailable';

interface Parked {
  event: StoredEvent;
  error: string;
  attempts: number;
  recorded: boolean;
}

export interface RunnerLogger {
  log(message: string): void;
  /** Falls back to `log` where the logger has no warn level. */
  warn?(message: string): void;
  error(message: string): void;
}

/**
 * Keeps one read model up to date: an ordered consumer over the block's subjects, starting after
 * the checkpoint; each batch of rows and the checkpoint commit in one transaction, and events at or
 * below the checkpoint are skipped, so instances sharing a database and replays never apply twice.
 */
export class ProjectionRunner {
  private appliedSeq = 0;
  /** Transactions committed and events applied, for the metrics. */
  readonly stats = { batches: 0, events: 0 };
  /** Events applied per second, recently. */
  readonly rate = new RateMeter();
  private pendingInStream = 0;
  private buffer: StoredEvent[] = [];
  private waiters: Waiter[] = [];
  /** A feed waiting for the buffer to have room again. */
  private roomWaiters: (() => void)[] = [];
  private subscription: LogSubscription | null = null;
  private readonly unsubscribe = new AbortController();
  /** The loop over the subscription; ends once it is aborted or has passed `untilSeq`. */
  private following: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  private lingering: NodeJS.Timeout | null = null;
  private observer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Fed by a `SharedLogFeed` rather than its own consumer, and whether the feed has more to deliver. */
  private fed = false;
  private feedBehind = false;
  private readonly errors: ProjectionErrors;
  private parked: Parked | null = null;
  private parkedPoll: NodeJS.Timeout | null = null;
  /** A look at the parked event is under way (the poll runs every second; one at a time). */
  private polling = false;
  /** The database refused the last batch as unreachable (cleared by the next commit). */
  private outage: MemError | null = null;
  private lastAdvanceAt = Date.now();
  /** The first sequence its subscription asked for when it started. */
  private startedFrom = 0;
  private behindSince: number | null = null;
  /** Event types on this read model's subjects that it does not know, each logged once. */
  private readonly unknownTypes = new Set<string>();
  /** Called with every event this read model receives from the log, before it is applied. */
  onReceived: (event: StoredEvent) => void = () => {};

  constructor(
    readonly projection: Projection,
    private readonly store: EventLog,
    private readonly db: Database,
    private readonly logger: RunnerLogger,
    private readonly options: RunnerOptions = {},
  ) {
    this.errors = new ProjectionErrors(db);
  }

  private get maxBatch(): number {
    return this.options.maxBatch ?? MAX_BATCH;
  }

  private get untilSeq(): number {
    return this.options.untilSeq ?? Number.MAX_SAFE_INTEGER;
  }

  get name(): string {
    return this.projection.name;
  }

  get filter(): string {
    const { prefix } = this.store;
    return this.projection.everyBlock ? allEventsFilter(prefix) : blockEventsFilter(prefix, this.projection.block);
  }

  /** Highest stream sequence whose effects are in the read model. */
  get applied(): number {
    return this.appliedSeq;
  }

  /** Highest sequence of this read model's events the log is known to hold (received or looked up). */
  get logEnd(): number {
    return Math.max(this.subscription?.logEnd ?? 0, this.buffer.at(-1)?.seq ?? 0, this.appliedSeq);
  }

  /** Events of this block in the log that the read model has not applied yet (as last seen; at least 1 while behind). */
  get lag(): number {
    return Math.max(this.pendingInStream + this.buffer.length, this.logEnd > this.appliedSeq ? 1 : 0);
  }

  /** Where the read model stands (see `ReadModelState`), and why when it is not serving. */
  get state(): { state: ReadModelState; reason?: string } {
    if (this.parked) return { state: 'parked', reason: `seq ${this.parked.event.seq} (${this.parked.event.type}): ${this.parked.error}` };
    if (this.outage) return { state: 'database_unavailable', reason: this.outage.message };
    this.observe();
    if (this.behindSince === null) return { state: 'current' };
    const idleMs = Date.now() - Math.max(this.behindSince, this.lastAdvanceAt);
    if (idleMs < STALLED_AFTER_MS) return { state: 'catching_up' };
    const impairment = this.subscription?.impairment;
    return { state: 'stalled', reason: `at ${this.appliedSeq} while the log holds ${this.logEnd}; nothing applied for ${idleMs} ms${impairment ? ` (${impairment})` : ''}` };
  }

  /** Notes when the read model fell behind the log, so a stall is told apart from a moment's lag. */
  private observe(): void {
    if (this.logEnd <= this.appliedSeq) this.behindSince = null;
    else this.behindSince ??= Date.now();
  }

  /**
   * Every event of this read model the log holds has reached it (buffered or applied), as far as it
   * knows: it started from the log's first event, its consumer is sound and it is not holding back.
   */
  get receivedWholeLog(): boolean {
    return this.startedFrom === 1 && this.subscription !== null && this.subscription.impairment === null && this.buffer.length < this.bufferLimit;
  }

  async start(): Promise<void> {
    await this.open();
    this.startedFrom = this.appliedSeq + 1;
    this.subscription = this.store.subscribe({
      name: `read model ${this.name}`,
      filter: this.filter,
      fromSeq: this.appliedSeq + 1,
      batch: 1024,
      signal: this.unsubscribe.signal,
      logger: this.logger,
    });
    this.following = this.follow(this.subscription).catch((e) => this.logger.error(`read model ${this.name} stopped following the log: ${(e as Error).message}`));
    this.observer = setInterval(() => this.observe(), OBSERVE_EVERY_MS);
    this.observer.unref();
  }

  /**
   * Takes its position from the checkpoint to be fed by a `SharedLogFeed` instead of consuming:
   * then it applies full batches, and what is left once the feed has caught up with the log.
   */
  async openForFeed(): Promise<void> {
    this.fed = true;
    await this.open();
  }

  /** Where the feed stands after its latest event: more right behind it, or caught up with the log. */
  feedPosition(behind: boolean): void {
    this.feedBehind = behind;
    if (!behind) this.scheduleDrain();
  }

  private async open(): Promise<void> {
    await this.db.query(`INSERT INTO mem_checkpoints (name, seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [this.name]);
    this.appliedSeq = await this.checkpoint();
  }

  /** Whether an event is this read model's: its filter, matched by the block the event's subject names. */
  follows(event: StoredEvent): boolean {
    return this.projection.everyBlock || event.block === this.projection.block;
  }

  /**
   * An event from a shared feed; resolves at once unless the buffer is full, so a slow read model
   * holds the feed back. A fed runner does not know how many events are still to come: its lag is
   * what it holds.
   */
  offer(event: StoredEvent): Promise<void> | undefined {
    if (this.stopped || event.seq <= Math.max(this.appliedSeq, this.buffer.at(-1)?.seq ?? 0)) return undefined;
    return this.take(event, 0);
  }

  /** Takes the events of its own subscription; one past `untilSeq` ends the following. */
  private async follow(subscription: LogSubscription): Promise<void> {
    for await (const event of subscription) {
      if (this.stopped) return;
      if (event.seq > this.untilSeq) {
        await this.reachUntil();
        return;
      }
      if (event.seq <= Math.max(this.appliedSeq, this.buffer.at(-1)?.seq ?? 0)) continue;
      const full = this.take(event, subscription.pending);
      if (full) await full;
    }
  }

  /** Stops taking events once everything received so far is applied. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.observer) clearInterval(this.observer);
    if (this.parkedPoll) clearInterval(this.parkedPoll);
    this.unsubscribe.abort();
    await this.following;
    await this.drainNow();
  }

  /** Resolves once the read model has applied `seq`; DEADLINE_EXCEEDED after `timeoutMs`, UNAVAILABLE at once when it cannot get there. */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (seq <= this.appliedSeq) return Promise.resolve();
    const blocked = this.blockedFor(seq);
    if (blocked) return Promise.reject(blocked);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(this.deadlineExceeded(seq, timeoutMs));
      }, timeoutMs);
      this.waiters.push(waiter);
      this.scheduleDrain();
    });
  }

  /** Why a read up to `seq` cannot be served now: the database is unreachable, or a parked event comes first. */
  private blockedFor(seq: number): MemError | null {
    // Once the database answers again the next try commits within moments: worth waiting for.
    if (this.outage && !this.db.available) return this.outage;
    if (this.parked && seq >= this.parked.event.seq) {
      return new MemError('UNAVAILABLE', `read model ${this.name} is stopped at sequence ${this.parked.event.seq}, an event it cannot apply (see memctl projections errors)`, 'READ_MODEL_PARKED', {
        readModel: this.name,
        seq: this.parked.event.seq,
      });
    }
    return null;
  }

  private failBlockedWaiters(): void {
    const stay: Waiter[] = [];
    for (const w of this.waiters) {
      const blocked = this.blockedFor(w.seq);
      if (blocked) w.reject(blocked);
      else stay.push(w);
    }
    this.waiters = stay;
  }

  /**
   * Waits until every event of this block up to `upTo` is applied (all of the log, by default;
   * never past `untilSeq`).
   * A sequence the log has not reached yet is waited for too, within the same deadline.
   */
  async catchUp(timeoutMs: number, upTo = Number.MAX_SAFE_INTEGER): Promise<void> {
    upTo = Math.min(upTo, this.untilSeq);
    if (upTo <= this.appliedSeq) return;
    const deadline = Date.now() + timeoutMs;
    if (upTo !== Number.MAX_SAFE_INTEGER) {
      while ((await this.logEndWithin(allEventsFilter(this.store.prefix), deadline)) < upTo) {
        if (Date.now() >= deadline) throw this.deadlineExceeded(upTo, timeoutMs);
        await sleep(LOG_POLL_MS);
      }
    }
    const last = await this.logEndWithin(this.filter, deadline);
    await this.waitFor(Math.min(last, upTo), Math.max(1, deadline - Date.now()));
  }

  /** The log's last sequence on `filter`, asked again (a look-up lost with a connection fails fast) until `deadline`. */
  private async logEndWithin(filter: string, deadline: number): Promise<number> {
    for (;;) {
      try {
        return await this.store.lastSeq(filter);
      } catch (e) {
        if (Date.now() + LOG_POLL_MS >= deadline) throw e;
        await sleep(LOG_POLL_MS);
      }
    }
  }

  private deadlineExceeded(seq: number, timeoutMs: number): MemError {
    return new MemError('DEADLINE_EXCEEDED', `read model ${this.name} did not reach sequence ${seq} within ${timeoutMs} ms`, undefined, {
      field: 'minSeq',
      applied: this.appliedSeq,
    });
  }

  async checkpoint(): Promise<number> {
    const rows = await this.db.query<{ seq: string }>(`SELECT seq FROM mem_checkpoints WHERE name = $1`, [this.name]);
    return Number(rows[0]?.seq ?? 0);
  }

  /**
   * Buffers an event; when the buffer is full, resolves once a batch has made room again (not once
   * it is empty: a feed shared with other read models would leave them idle meanwhile).
   */
  private take(event: StoredEvent, pending: number): Promise<void> | undefined {
    this.buffer.push(event);
    this.pendingInStream = pending;
    this.onReceived(event);
    this.scheduleDrain();
    if (this.buffer.length < this.bufferLimit) return undefined;
    this.kick();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private get bufferLimit(): number {
    return Math.max(MAX_BUFFERED, 5 * this.maxBatch);
  }

  private makeRoom(): void {
    if (this.buffer.length >= this.bufferLimit) return;
    for (const resolve of this.roomWaiters.splice(0)) resolve();
  }

  /**
   * The first event past `untilSeq` proves every earlier one of this block was delivered: once they
   * are applied the read model stands at `untilSeq`, though its last event may be older.
   */
  private async reachUntil(): Promise<void> {
    await this.drainNow();
    this.advance(this.untilSeq);
  }

  /**
   * Applies at once when a reader waits or a batch is full; otherwise, on its own consumer, lingers
   * briefly to batch, and on a feed waits for a full batch until the feed has caught up.
   */
  private scheduleDrain(): void {
    if (this.draining || this.buffer.length === 0 || this.parked) return;
    if (this.applyNow()) {
      this.kick();
      return;
    }
    if (!this.fed) this.lingering ??= setTimeout(() => this.kick(), LINGER_MS);
  }

  /** Drains in the background; only a stop can end a drain with an error, and `stop()` reports that one. */
  private kick(): void {
    this.drainNow().catch(() => undefined);
  }

  private applyNow(): boolean {
    if (this.waiters.length > 0 || this.buffer.length >= this.maxBatch || this.stopped) return true;
    // On its own consumer, events still in the stream mean catching up: apply at once. On a feed,
    // a partial batch waits for the rest until the feed has caught up with the log.
    return this.fed ? !this.feedBehind : this.pendingInStream > 0;
  }

  private drainNow(): Promise<void> {
    if (this.lingering) {
      clearTimeout(this.lingering);
      this.lingering = null;
    }
    this.draining ??= this.drain();
    return this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.buffer.length > 0 && !this.parked && (!this.fed || this.applyNow())) {
        const batch = this.buffer.slice(0, this.maxBatch);
        const applied = await this.applyWithRecovery(batch);
        if (applied > 0) this.committed(batch.slice(0, applied));
      }
    } finally {
      this.draining = null;
      // Stopping with a batch that keeps failing: whoever waits for room must not wait forever.
      for (const resolve of this.roomWaiters.splice(0)) resolve();
    }
    this.scheduleDrain();
  }

  /** Bookkeeping once `events`, the head of the buffer, are committed. */
  private committed(events: StoredEvent[]): void {
    this.stats.batches++;
    this.stats.events += events.length;
    this.rate.note(this.stats.events);
    this.buffer.splice(0, events.length);
    this.advance(events[events.length - 1].seq);
    this.makeRoom();
  }

  /**
   * The recovery policy of a batch: while the database is unreachable it is tried again and again
   * (nothing is lost by waiting, and reads answer UNAVAILABLE meanwhile); any other failure is tried
   * `POISON_ATTEMPTS` times, then the batch is applied event by event and the event that fails is
   * parked. Returns how many events of the batch's head were applied.
   */
  private async applyWithRecovery(batch: StoredEvent[]): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const error = await this.tryApply(batch);
      if (!error) return batch.length;
      if (this.stopped) throw error;
      if (attempt >= POISON_ATTEMPTS) return this.isolate(batch, attempt);
      this.logger.error(`read model ${this.name} could not apply seq ${batch[0].seq}..${batch[batch.length - 1].seq} (attempt ${attempt} of ${POISON_ATTEMPTS}): ${error.message}`);
      await sleep(RETRY_DELAY_MS * attempt);
    }
  }

  /** Applies `events` in one transaction, waiting out database outages; the error of any other failure. */
  private async tryApply(events: StoredEvent[]): Promise<Error | null> {
    for (;;) {
      try {
        await this.applyBatch(events);
        this.outage = null;
        return null;
      } catch (e) {
        if (!isMemError(e) || e.code !== 'UNAVAILABLE') return e as Error;
        if (this.stopped) return e;
        if (!this.outage) {
          this.outage = e;
          this.failBlockedWaiters();
        }
        await sleep(OUTAGE_RETRY_MS);
      }
    }
  }

  /** One event at a time: those that apply are kept, the first that does not is parked. */
  private async isolate(batch: StoredEvent[], attempts: number): Promise<number> {
    for (let i = 0; i < batch.length; i++) {
      const error = (await this.tryApply([batch[i]])) ?? null;
      if (!error) {
        this.committed([batch[i]]);
        continue;
      }
      if (this.stopped) throw error;
      this.park(batch[i], error, attempts);
      return 0;
    }
    return 0;
  }

  /**
   * Stops applying at an event that keeps failing: recorded in `mem_projection_errors`, reads that
   * need it answer UNAVAILABLE, readiness fails, and `memctl projections retry|skip` resolves it.
   */
  private park(event: StoredEvent, error: Error, attempts: number): void {
    this.parked = { event, error: error.message, attempts, recorded: false };
    this.logger.error(
      `read model ${this.name} stopped at seq ${event.seq} (${event.type}, event ${event.id}) after ${attempts} attempts: ${error.message}; ` +
        `it waits for \`memctl projections retry ${this.name}\` or \`memctl projections skip ${this.name}\``,
    );
    this.failBlockedWaiters();
    this.parkedPoll = setInterval(() => void this.pollParked().catch(() => undefined), PARKED_POLL_MS);
    this.parkedPoll.unref();
    void this.pollParked().catch(() => undefined);
  }

  /** Records the parked event, then acts on an operator's retry or skip, or on another instance having got past it. */
  private async pollParked(): Promise<void> {
    const p = this.parked;
    if (!p || this.polling) return;
    this.polling = true;
    try {
      if (!p.recorded) {
        await this.errors.record(this.name, p.event, p.error, p.attempts);
        p.recorded = true;
      }
      const checkpoint = await this.checkpoint();
      if (checkpoint >= p.event.seq) return this.unpark(checkpoint, `another instance got past it`);
      const status = await this.errors.status(this.name, p.event.seq);
      if (status === 'skip') {
        await this.db.transaction(async (sql) => {
          await sql.prepared(`UPDATE mem_checkpoints SET seq = $2, updated_at = now() WHERE name = $1 AND seq < $2`, [this.name, p.event.seq]);
          await sql.prepared(`UPDATE mem_projection_errors SET status = 'skipped', resolved_at = now() WHERE name = $1 AND seq = $2`, [this.name, p.event.seq]);
        });
        return this.unpark(p.event.seq, 'skipped as an operator asked; recorded in mem_projection_errors');
      }
      if (status !== 'retry') return;
      const error = await this.tryApply([p.event]);
      if (error) {
        p.error = error.message;
        await this.errors.record(this.name, p.event, error.message, 1);
        this.logger.error(`read model ${this.name}: retrying seq ${p.event.seq} failed again: ${error.message}`);
        return;
      }
      await this.errors.resolve(this.name, p.event.seq, 'resolved');
      return this.unpark(p.event.seq, 'applied on retry');
    } finally {
      this.polling = false;
    }
  }

  private unpark(seq: number, how: string): void {
    const p = this.parked!;
    this.parked = null;
    if (this.parkedPoll) clearInterval(this.parkedPoll);
    this.parkedPoll = null;
    const done = this.buffer.findIndex((e) => e.seq > seq);
    this.buffer.splice(0, done === -1 ? this.buffer.length : done);
    this.advance(seq);
    this.makeRoom();
    this.logger.log(`read model ${this.name} resumes after seq ${p.event.seq}: ${how}`);
    this.scheduleDrain();
  }

  /**
   * One transaction: claim the batch by moving the checkpoint (only if it is below the batch), or,
   * when another instance got further, lock the checkpoint and apply just what is still new.
   */
  private async applyBatch(batch: StoredEvent[]): Promise<void> {
    const first = batch[0].seq;
    const last = batch[batch.length - 1].seq;
    await this.db.transaction(async (sql) => {
      const claimed = await sql.prepared(
        `UPDATE mem_checkpoints SET seq = $2, updated_at = now() WHERE name = $1 AND seq < $3 RETURNING seq`,
        [this.name, last, first],
      );
      if (claimed.length === 1) return this.applyEvents(sql, batch);
      const [{ seq }] = await sql.prepared<{ seq: string }>(`SELECT seq FROM mem_checkpoints WHERE name = $1 FOR UPDATE`, [this.name]);
      const fresh = batch.filter((e) => e.seq > Number(seq));
      if (fresh.length === 0) return;
      await this.applyEvents(sql, fresh);
      await sql.prepared(`UPDATE mem_checkpoints SET seq = $2, updated_at = now() WHERE name = $1`, [this.name, last]);
    });
  }

  /**
   * Applies the events the projection knows. The checkpoint still moves past the others: stopping
   * at a type this build cannot fold would stall the block's reads, and a build that knows it folds
   * those events on a rebuild.
   */
  private async applyEvents(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
    const known = events.filter((e) => this.knows(e));
    if (known.length > 0) await this.projection.apply(sql, known);
    // Each block's own read models keep the request ledger; one that follows every block would only repeat them.
    if (!this.projection.everyBlock) await recordRequests(sql, events);
  }

  private knows(e: StoredEvent): boolean {
    if (this.projection.canHandle(e)) return true;
    this.warnUnknownType(e);
    return false;
  }

  /** Once per type: a log written by a newer version repeats it in every batch. */
  private warnUnknownType(e: StoredEvent): void {
    if (this.unknownTypes.has(e.type)) return;
    this.unknownTypes.add(e.type);
    const message = `read model ${this.name} skips events of type ${e.type}, which it does not know (first at seq ${e.seq}); its checkpoint moves past them`;
    if (this.logger.warn) this.logger.warn(message);
    else this.logger.log(message);
  }

  private advance(seq: number): void {
    if (seq <= this.appliedSeq) return;
    this.appliedSeq = seq;
    this.lastAdvanceAt = Date.now();
    const ready = this.waiters.filter((w) => w.seq <= seq);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > seq);
    for (const w of ready) w.resolve();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const REQUEST_COLUMNS: CopyColumns = { tenant: 'text', request_id: 'text', seq: 'int8', block: 'text', at: 'timestamptz' };
const RECORD_REQUESTS = `INSERT INTO mem_requests (${Object.keys(REQUEST_COLUMNS).join(', ')})
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[]) ON CONFLICT DO NOTHING`;

/** A request that wrote several events keeps its first. */
async function recordRequests(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
  const rows = events.filter((e) => e.requestId).map((e) => [e.tenant, e.requestId, e.seq, e.block, e.at]);
  await appendRows(sql, 'mem_requests', REQUEST_COLUMNS, rows, () => sql.prepared(RECORD_REQUESTS, columnsOf(rows)));
}
