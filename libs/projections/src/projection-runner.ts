import { allEventsFilter, blockEventsFilter, type StoredEvent } from '@memsidecar/core';
import type { EventLog } from '@memsidecar/event-store';
import { Batcher } from './batcher';
import { BatchApplier } from './batch-applier';
import { BatchRecovery } from './batch-recovery';
import type { Database } from './database';
import { EventBuffer } from './event-buffer';
import { EventSource, type FeedState } from './event-source';
import type { Projection } from './projection';
import type { RateMeter } from './rate-meter';
import { ReadModelProgress, type ReadModelState } from './read-model-progress';

export type { ReadModelState } from './read-model-progress';

const MAX_BATCH = 500;
const MAX_BUFFERED = 5_000;
/** On standby, events the applier has left unapplied this long are applied here. */
const TAKEOVER_AFTER_MS = 1_000;

export interface RunnerOptions {
  /** Apply only the events up to this stream sequence: the read model as of that point in the log. */
  untilSeq?: number;
  /** Events per transaction; a rebuild uses larger batches than the live default. */
  maxBatch?: number;
}

export interface RunnerLogger {
  log(message: string): void;
  /** Falls back to `log` where the logger has no warn level. */
  warn?(message: string): void;
  error(message: string): void;
}

/**
 * Keeps one read model up to date: an `EventSource` (its own subscription over the block's subjects
 * from the checkpoint, or a `SharedLogFeed`) fills an `EventBuffer`; the `Batcher` cuts it into
 * batches; `BatchRecovery` applies them through the `BatchApplier` (rows and checkpoint in one
 * transaction, events at or below the checkpoint skipped, so instances sharing a database and
 * replays never apply twice) and parks a poison event; `ReadModelProgress` tracks what is applied.
 */
export class ProjectionRunner {
  readonly filter: string;
  private readonly untilSeq: number;
  private readonly buffer: EventBuffer;
  private readonly source: EventSource;
  private readonly batcher: Batcher;
  private readonly applier: BatchApplier;
  private readonly recovery: BatchRecovery;
  private readonly progress: ReadModelProgress;
  private stopped = false;
  /** Latest sequence a live feed passed while this read model still had events of its own to apply. */
  private passedSeq = 0;
  private standbyMode = false;
  /** On standby: when the applier was last seen moving, or holding everything this read model had received. */
  private applierCurrentAt = Date.now();
  /** Called with every event this read model receives from the log, before it is applied. */
  onReceived: (event: StoredEvent) => void = () => {};

  constructor(
    readonly projection: Projection,
    store: EventLog,
    db: Database,
    logger: RunnerLogger,
    options: RunnerOptions = {},
  ) {
    const { name } = projection;
    const maxBatch = options.maxBatch ?? MAX_BATCH;
    this.untilSeq = options.untilSeq ?? Number.MAX_SAFE_INTEGER;
    this.filter = projection.everyBlock ? allEventsFilter(store.prefix) : blockEventsFilter(store.prefix, projection.block);
    this.buffer = new EventBuffer(Math.max(MAX_BUFFERED, 5 * maxBatch));
    this.applier = new BatchApplier(projection, db, logger);
    this.progress = new ReadModelProgress({
      name,
      store,
      filter: this.filter,
      untilSeq: this.untilSeq,
      blockedFor: (seq) => this.recovery.blockedFor(seq),
      onWaiting: () => this.batcher.schedule(),
    });
    this.recovery = new BatchRecovery({
      name,
      db,
      applier: this.applier,
      logger,
      stopped: () => this.stopped,
      committed: (events) => {
        this.progress.committed(events.length, events[events.length - 1].seq);
        this.buffer.drop(events.length);
        this.catchUpWithFeed();
      },
      blocked: () => this.progress.failBlockedWaiters(),
      resumed: (seq) => {
        this.buffer.dropThrough(seq);
        this.progress.advance(seq);
        this.batcher.schedule();
      },
    });
    this.batcher = new Batcher({
      buffer: this.buffer,
      maxBatch,
      apply: (batch) => this.recovery.apply(batch),
      fed: () => this.source.rebuildFed,
      urgent: () => this.source.urgent,
      waiting: () => this.progress.waiting,
      standby: () => this.standbyMode,
      stopped: () => this.stopped,
      parked: () => this.recovery.parked,
    });
    this.source = new EventSource(store, name, this.filter, this.untilSeq, logger, {
      has: (seq) => seq <= Math.max(this.progress.applied, this.buffer.lastSeq),
      take: (event) => {
        this.onReceived(event);
        return this.batcher.take(event);
      },
      reachUntil: () => this.reachUntil(),
      feedCaughtUp: () => this.batcher.schedule(),
      stopped: () => this.stopped,
    });
  }

  get name(): string {
    return this.projection.name;
  }

  /** Transactions committed and events applied, for the metrics. */
  get stats(): { batches: number; events: number } {
    return this.progress.stats;
  }

  /** Events applied per second, recently. */
  get rate(): RateMeter {
    return this.progress.rate;
  }

  /** Highest stream sequence whose effects are in the read model. */
  get applied(): number {
    return this.progress.applied;
  }

  /** Highest sequence of this read model's events the log is known to hold (received or looked up). */
  get logEnd(): number {
    return Math.max(this.source.logEnd, this.buffer.lastSeq, this.progress.applied);
  }

  /** Events of this block in the log that the read model has not applied yet (as last seen; at least 1 while behind). */
  get lag(): number {
    return Math.max(this.source.pending + this.buffer.length, this.logEnd > this.progress.applied ? 1 : 0);
  }

  /** Where the read model stands (see `ReadModelState`), and why when it is not serving. */
  get state(): { state: ReadModelState; reason?: string } {
    return this.recovery.impairedState ?? this.progress.state(this.logEnd, this.source.impairment);
  }

  /**
   * Every event of this read model the log holds has reached it (buffered or applied), as far as it
   * knows: it started from the log's first event, its consumer is sound and it is not holding back.
   */
  get receivedWholeLog(): boolean {
    return this.source.fromFirstEventSound && !this.buffer.full;
  }

  /**
   * It has received the log up to its end as of its latest delivery (nothing behind it in the
   * stream, delivery not impaired, its buffer taking events).
   */
  get receivedToLogEnd(): boolean {
    return this.source.caughtUp && !this.buffer.full;
  }

  async start(): Promise<void> {
    await this.open();
    this.source.subscribe(this.progress.applied + 1);
    this.progress.observeEvery(() => this.logEnd);
  }

  /**
   * Takes its position from the checkpoint to be fed by a `SharedLogFeed` instead of consuming:
   * then it applies full batches, and what is left once the feed has caught up with the log. A live
   * feed passes its state, which the read model reports as its own.
   */
  async openForFeed(feed?: FeedState): Promise<void> {
    this.source.useFeed(feed);
    await this.open();
    if (feed) this.progress.observeEvery(() => this.logEnd);
  }

  /** Still fed by a shared feed (not left it for a subscription of its own). */
  get fed(): boolean {
    return this.source.isFed;
  }

  /**
   * A live feed delivered an event of another read model: with nothing of its own left to apply,
   * this read model holds everything of the log up to it, so reads waiting for it go ahead.
   */
  passed(seq: number): void {
    if (seq > this.untilSeq || this.recovery.parked) return;
    if (this.buffer.length === 0) this.progress.advance(seq);
    else this.passedSeq = seq;
  }

  /**
   * Another instance applies the read models in the background (it holds the `ApplierLock`): this
   * one applies only for its readers, or what the applier leaves unapplied (see `followApplier`).
   */
  set standby(standby: boolean) {
    if (standby === this.standbyMode) return;
    this.standbyMode = standby;
    this.applierCurrentAt = Date.now();
    if (!standby) this.batcher.schedule();
  }

  get standby(): boolean {
    return this.standbyMode;
  }

  /**
   * On standby, the checkpoint the applier committed: what this read model holds up to it is in
   * Postgres already, so it is dropped and the read model stands there. Events it received that the
   * applier leaves unapplied for a second (it died, or is stuck) are applied here.
   */
  followApplier(checkpoint: number): void {
    if (!this.standbyMode || this.stopped || this.recovery.parked) return;
    const now = Date.now();
    // A batch in flight owns the buffer's head: nothing is dropped under it.
    if (this.batcher.busy) return;
    if (checkpoint > this.progress.applied) {
      this.buffer.dropThrough(checkpoint);
      this.progress.advance(checkpoint);
      this.catchUpWithFeed();
      this.applierCurrentAt = now;
    }
    if (this.buffer.length === 0) this.applierCurrentAt = now;
    else if (now - this.applierCurrentAt >= TAKEOVER_AFTER_MS) void this.batcher.drainNow().catch(() => undefined);
  }

  /** With nothing of its own left to apply, it stands where the live feed last passed it. */
  private catchUpWithFeed(): void {
    if (this.buffer.length === 0 && this.passedSeq > this.progress.applied) this.progress.advance(this.passedSeq);
  }

  /** Leaves a live feed that it would hold back (its buffer is full) for a subscription of its own. */
  leaveFeed(): void {
    this.source.leaveFeed(Math.max(this.progress.applied, this.buffer.lastSeq) + 1);
  }

  /** Where the feed stands after its latest event: more right behind it, or caught up with the log. */
  feedPosition(behind: boolean): void {
    this.source.feedPosition(behind);
  }

  /** Whether an event is this read model's: its filter, matched by the block the event's subject names. */
  follows(event: StoredEvent): boolean {
    return this.projection.everyBlock || event.block === this.projection.block;
  }

  /** An event from a shared feed; resolves at once unless the buffer is full, so a slow read model holds the feed back. */
  offer(event: StoredEvent): Promise<void> | undefined {
    return this.source.offer(event);
  }

  /** Stops taking events once everything received so far is applied. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.progress.stopObserving();
    this.recovery.stop();
    // A subscription held back by a full buffer (a parked event) must see the stop.
    this.buffer.releaseAll();
    await this.source.stop();
    await this.batcher.drainNow();
  }

  /** Resolves once the read model has applied `seq`; DEADLINE_EXCEEDED after `timeoutMs`, UNAVAILABLE at once when it cannot get there. */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    return this.progress.waitFor(seq, timeoutMs);
  }

  /** Waits until every event of this block up to `upTo` is applied (all of the log, by default; never past `untilSeq`). */
  catchUp(timeoutMs: number, upTo?: number): Promise<void> {
    return this.progress.catchUp(timeoutMs, upTo);
  }

  checkpoint(): Promise<number> {
    return this.applier.checkpoint();
  }

  private async open(): Promise<void> {
    this.progress.advance(await this.applier.open());
  }

  /**
   * The first event past `untilSeq` proves every earlier one of this block was delivered: once they
   * are applied the read model stands at `untilSeq`, though its last event may be older.
   */
  private async reachUntil(): Promise<void> {
    await this.batcher.drainNow();
    this.progress.advance(this.untilSeq);
  }
}
