import type { StoredEvent } from '@memsidecar/core';
import type { EventLog, LogSubscription, SubscriptionLogger } from '@memsidecar/event-store';

/** Where an event source delivers: the runner's buffer and batcher. */
export interface EventSink {
  /** Whether the event at `seq` is applied or held already (a replay or redelivery). */
  has(seq: number): boolean;
  /** Takes an event; resolves once there is room again when the buffer is full, else undefined. */
  take(event: StoredEvent): Promise<void> | undefined;
  /** The first event past `untilSeq` arrived: every earlier one was delivered. */
  reachUntil(): Promise<void>;
  /** A feed has caught up with the log: a partial batch may go now. */
  feedCaughtUp(): void;
  stopped(): boolean;
}

/** What a read model fed by a shared feed knows of the feed's own subscription. */
export interface FeedState {
  /** Why the feed's delivery is impaired right now, or null. */
  readonly impairment: string | null;
  /** The first sequence the feed asked for. */
  readonly startedFrom: number;
}

/**
 * Feeds one read model: either its own subscription to the log (`EventLog.subscribe`, from its
 * checkpoint, ending past `untilSeq`), or a `SharedLogFeed` offering the events of many read models.
 * A full buffer holds the subscription (or the feed) back.
 */
export class EventSource {
  private subscription: LogSubscription | null = null;
  private readonly unsubscribe = new AbortController();
  /** The loop over the subscription; ends once it is aborted or has passed `untilSeq`. */
  private following: Promise<void> | null = null;
  /** Fed by a `SharedLogFeed` rather than its own consumer, and whether the feed has more to deliver. */
  private fed = false;
  private feed: FeedState | null = null;
  private feedBehind = false;
  /** Where the stream's end is relative to the latest delivery has been told at least once (by the feed, or its own subscription). */
  private positionKnown = false;
  /** Events still in the stream after the latest one delivered, as the subscription last said. */
  private pendingInStream = 0;
  /** The first sequence its subscription asked for when it started. */
  private startedFrom = 0;

  constructor(
    private readonly store: EventLog,
    private readonly name: string,
    readonly filter: string,
    private readonly untilSeq: number,
    private readonly logger: SubscriptionLogger,
    private readonly sink: EventSink,
  ) {}

  get isFed(): boolean {
    return this.fed;
  }

  /** Events known to be in the stream and not delivered yet (0 on a feed: it does not know). */
  get pending(): number {
    return this.pendingInStream;
  }

  /** Highest sequence of this read model's events its subscription knows the log holds. */
  get logEnd(): number {
    return this.subscription?.logEnd ?? 0;
  }

  get impairment(): string | null | undefined {
    return this.fed ? this.feed?.impairment : this.subscription?.impairment;
  }

  /**
   * Whether a partial batch should go now: on its own consumer, events still in the stream mean
   * catching up; on a feed, a partial batch waits for the rest until the feed has caught up.
   */
  get urgent(): boolean {
    if (this.rebuildFed) return !this.feedBehind;
    return this.fed ? this.feedBehind : this.pendingInStream > 0;
  }

  /**
   * Fed by a rebuild's feed, which waits for full batches until it has caught up. A live feed
   * batches like a subscription of its own: at once while catching up, else after lingering.
   */
  get rebuildFed(): boolean {
    return this.fed && this.feed === null;
  }

  /** The latest delivery left nothing in the stream behind it, and delivery is not impaired. */
  get caughtUp(): boolean {
    if (!this.positionKnown || this.impairment) return false;
    return this.fed ? !this.feedBehind : this.pendingInStream === 0;
  }

  /** It started from the log's first event on its own subscription, and that subscription is sound. */
  get fromFirstEventSound(): boolean {
    if (this.fed) return this.feed !== null && this.feed.startedFrom === 1 && this.feed.impairment === null;
    return this.startedFrom === 1 && this.subscription !== null && this.subscription.impairment === null;
  }

  subscribe(fromSeq: number): void {
    this.startedFrom = fromSeq;
    this.positionKnown = false;
    this.subscription = this.store.subscribe({ name: `read model ${this.name}`, filter: this.filter, fromSeq, batch: 1024, signal: this.unsubscribe.signal, logger: this.logger });
    this.following = this.follow(this.subscription).catch((e) => this.logger.error(`read model ${this.name} stopped following the log: ${(e as Error).message}`));
  }

  /** To be fed by a `SharedLogFeed` instead of consuming (a live feed tells its state). */
  useFeed(feed?: FeedState): void {
    this.fed = true;
    this.feed = feed ?? null;
  }

  /** Leaves the feed for a subscription of its own, from `fromSeq`. */
  leaveFeed(fromSeq: number): void {
    this.fed = false;
    this.feed = null;
    this.subscribe(fromSeq);
  }

  /** Where the feed stands after its latest event: more right behind it, or caught up with the log. */
  feedPosition(behind: boolean): void {
    this.feedBehind = behind;
    if (this.fed) this.positionKnown = true;
    if (!behind && this.rebuildFed) this.sink.feedCaughtUp();
  }

  /** An event from a shared feed; resolves at once unless the buffer is full. */
  offer(event: StoredEvent): Promise<void> | undefined {
    if (this.sink.stopped() || this.sink.has(event.seq)) return undefined;
    this.pendingInStream = 0;
    return this.sink.take(event);
  }

  /** Takes the events of its own subscription; one past `untilSeq` ends the following. */
  private async follow(subscription: LogSubscription): Promise<void> {
    for await (const event of subscription) {
      if (this.sink.stopped()) return;
      if (event.seq > this.untilSeq) {
        await this.sink.reachUntil();
        return;
      }
      this.pendingInStream = subscription.pending;
      this.positionKnown = true;
      if (this.sink.has(event.seq)) continue;
      const full = this.sink.take(event);
      if (full) await full;
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe.abort();
    await this.following;
  }
}
