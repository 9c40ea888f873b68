import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { MemError, allEventsFilter, blockEventsFilter, type StoredEvent } from '@memsidecar/core';
import { decodeStoredEvent, type EventStore } from '@memsidecar/event-store';
import type { CopyColumns } from './copy-rows';
import type { Database, SqlExecutor } from './database';
import { appendRows, columnsOf, type Projection } from './projection';
import { RateMeter } from './rate-meter';

const MAX_BATCH = 500;
const MAX_BUFFERED = 5_000;
const RETRY_DELAY_MS = 500;
/** With nobody waiting for a read, events gather this long so one transaction applies many. */
const LINGER_MS = 20;
const LOG_POLL_MS = 20;

interface Waiter {
  seq: number;
  resolve: () => void;
}

export interface RunnerOptions {
  /** Apply only the events up to this stream sequence: the read model as of that point in the log. */
  untilSeq?: number;
  /** Events per transaction; a rebuild uses larger batches than the live default. */
  maxBatch?: number;
}

export interface RunnerLogger {
  log(message: string): void;
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
  private messages: ConsumerMessages | null = null;
  private draining: Promise<void> | null = null;
  private lingering: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Every event up to `untilSeq` has arrived, so the consumer is closed for good. */
  private reachedUntil = false;
  private loop: Promise<void> | null = null;
  private subjectPrefix: string | undefined;
  /** Fed by a `SharedLogFeed` rather than its own consumer, and whether the feed has more to deliver. */
  private fed = false;
  private feedBehind = false;

  constructor(
    readonly projection: Projection,
    private readonly store: EventStore,
    private readonly db: Database,
    private readonly logger: RunnerLogger,
    private readonly options: RunnerOptions = {},
  ) {}

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
    const { prefix } = this.store.options;
    return this.projection.everyBlock ? allEventsFilter(prefix) : blockEventsFilter(prefix, this.projection.block);
  }

  /** Highest stream sequence whose effects are in the read model. */
  get applied(): number {
    return this.appliedSeq;
  }

  /** Events of this block in the log that the read model has not applied yet (as last seen). */
  get lag(): number {
    return this.pendingInStream + this.buffer.length;
  }

  async start(): Promise<void> {
    await this.open();
    await this.subscribe();
    this.loop = this.follow();
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

  /** Whether an event on `subject` is this read model's: its consumer filter, matched by hand. */
  follows(subject: string): boolean {
    this.subjectPrefix ??= this.filter.slice(0, -1);
    return subject.startsWith(this.subjectPrefix);
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

  /** An ordered consumer from the first event not yet applied (or buffered). */
  private async subscribe(): Promise<void> {
    const next = Math.max(this.appliedSeq, this.buffer.at(-1)?.seq ?? 0) + 1;
    const consumer = await this.store.js.consumers.get(this.store.stream, {
      filter_subjects: this.filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: next,
    });
    this.messages = await consumer.consume({ max_messages: 1024 });
  }

  /** Pumps events until stopped; a consumer that ends underneath (stream or server trouble) is recreated. */
  private async follow(): Promise<void> {
    while (!this.stopped && !this.reachedUntil) {
      try {
        await this.pump(this.messages!);
      } catch (e) {
        this.logger.error(`read model ${this.name}: consumer failed: ${(e as Error).message}`);
      }
      while (!this.stopped && !this.reachedUntil) {
        this.logger.error(`read model ${this.name}: consumer ended; recreating it from sequence ${this.appliedSeq + 1}`);
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
        try {
          if (!this.stopped) await this.subscribe();
          break;
        } catch (e) {
          this.logger.error(`read model ${this.name}: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Stops taking events once everything received so far is applied. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.messages?.close();
    await this.loop;
    await this.drainNow();
  }

  /** Resolves once the read model has applied `seq`; DEADLINE_EXCEEDED after `timeoutMs`. */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (seq <= this.appliedSeq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        seq,
        resolve: () => {
          clearTimeout(timer);
          resolve();
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
      while ((await this.store.lastSeq(`${this.store.options.prefix}.evt.>`)) < upTo) {
        if (Date.now() >= deadline) throw this.deadlineExceeded(upTo, timeoutMs);
        await new Promise((r) => setTimeout(r, LOG_POLL_MS));
      }
    }
    const last = await this.store.lastSeq(this.filter);
    await this.waitFor(Math.min(last, upTo), Math.max(1, deadline - Date.now()));
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

  private async pump(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (m.seq > this.untilSeq) return this.reachUntil(messages);
      const full = this.take(decodeStoredEvent(m.data, m.seq), m.info.pending);
      if (full) await full;
      if (this.stopped) break;
    }
  }

  /**
   * Buffers an event; when the buffer is full, resolves once a batch has made room again (not once
   * it is empty: a feed shared with other read models would leave them idle meanwhile).
   */
  private take(event: StoredEvent, pending: number): Promise<void> | undefined {
    this.buffer.push(event);
    this.pendingInStream = pending;
    this.scheduleDrain();
    if (this.buffer.length < this.bufferLimit) return undefined;
    void this.drainNow();
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
  private async reachUntil(messages: ConsumerMessages): Promise<void> {
    this.reachedUntil = true;
    await messages.close();
    await this.drainNow();
    this.advance(this.untilSeq);
  }

  /**
   * Applies at once when a reader waits or a batch is full; otherwise, on its own consumer, lingers
   * briefly to batch, and on a feed waits for a full batch until the feed has caught up.
   */
  private scheduleDrain(): void {
    if (this.draining || this.buffer.length === 0) return;
    if (this.applyNow()) {
      void this.drainNow();
      return;
    }
    if (!this.fed) this.lingering ??= setTimeout(() => void this.drainNow(), LINGER_MS);
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
      while (this.buffer.length > 0 && (!this.fed || this.applyNow())) {
        const batch = this.buffer.slice(0, this.maxBatch);
        await this.applyWithRetry(batch);
        this.stats.batches++;
        this.stats.events += batch.length;
        this.rate.note(this.stats.events);
        this.buffer.splice(0, batch.length);
        this.advance(batch[batch.length - 1].seq);
        this.makeRoom();
      }
    } finally {
      this.draining = null;
      // Stopping with a batch that keeps failing: whoever waits for room must not wait forever.
      for (const resolve of this.roomWaiters.splice(0)) resolve();
    }
    this.scheduleDrain();
  }

  private async applyWithRetry(batch: StoredEvent[]): Promise<void> {
    for (;;) {
      try {
        await this.applyBatch(batch);
        return;
      } catch (e) {
        this.logger.error(`read model ${this.name} could not apply seq ${batch[0].seq}..${batch[batch.length - 1].seq}: ${(e as Error).message}; retrying`);
        if (this.stopped) throw e;
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      }
    }
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

  private async applyEvents(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
    await this.projection.apply(sql, events);
    // Each block's own read models keep the request ledger; one that follows every block would only repeat them.
    if (!this.projection.everyBlock) await recordRequests(sql, events);
  }

  private advance(seq: number): void {
    if (seq <= this.appliedSeq) return;
    this.appliedSeq = seq;
    const ready = this.waiters.filter((w) => w.seq <= seq);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > seq);
    for (const w of ready) w.resolve();
  }
}

const REQUEST_COLUMNS: CopyColumns = { tenant: 'text', request_id: 'text', seq: 'int8', block: 'text', at: 'timestamptz' };
const RECORD_REQUESTS = `INSERT INTO mem_requests (${Object.keys(REQUEST_COLUMNS).join(', ')})
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[]) ON CONFLICT DO NOTHING`;

/** A request that wrote several events keeps its first. */
async function recordRequests(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
  const rows = events.filter((e) => e.requestId).map((e) => [e.tenant, e.requestId, e.seq, e.block, e.at]);
  await appendRows(sql, 'mem_requests', REQUEST_COLUMNS, rows, () => sql.prepared(RECORD_REQUESTS, columnsOf(rows)));
}
