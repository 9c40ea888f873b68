import { allEventsFilter, type StoredEvent } from '@memsidecar/core';
import type { EventLog, LogSubscription, SubscriptionLogger } from '@memsidecar/event-store';
import type { FeedState } from './event-source';
import type { ProjectionRunner } from './projection-runner';

const PULL_BATCH = 4_096;

export interface SharedLogFeedOptions {
  /**
   * The service's feed rather than a rebuild's: read models that received nothing of their own
   * still advance with it (reads waiting for a sequence go ahead), and once the feed has caught up
   * with the log a read model that would hold it back (its buffer full: the database slow or away,
   * an event parked) leaves it for a subscription of its own instead of stalling the others.
   */
  live?: boolean;
}

/**
 * Feeds several runners from one subscription to the whole log: each event is delivered and
 * decoded once instead of once per read model, and the server scans the stream once. The runners
 * apply exactly as they do on their own subscriptions (same batches, same checkpoints). Trouble
 * reaching the log delays the feed, never ends it.
 */
export class SharedLogFeed implements FeedState {
  private readonly unsubscribe = new AbortController();
  private feeding: Promise<void> | null = null;
  private stopping = false;
  private subscription: LogSubscription | null = null;
  private caughtUp = false;
  startedFrom = 0;
  /** Called with every event the feed delivers, before the read models take it. */
  onEvent: (event: StoredEvent) => void = () => {};

  constructor(
    private readonly store: EventLog,
    readonly runners: ProjectionRunner[],
    private readonly logger: SubscriptionLogger = { log: () => {}, error: () => {} },
    private readonly options: SharedLogFeedOptions = {},
  ) {}

  get impairment(): string | null {
    return this.subscription?.impairment ?? null;
  }

  /** Started and not stopped: the runners still take events. */
  get running(): boolean {
    return this.feeding !== null && !this.stopping;
  }

  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.openForFeed(this.options.live ? this : undefined)));
    const fromSeq = Math.min(...this.runners.map((r) => r.applied)) + 1;
    this.startedFrom = fromSeq;
    const subscription = (this.subscription = this.store.subscribe({
      name: this.options.live ? 'read-model feed' : 'rebuild feed',
      filter: allEventsFilter(this.store.prefix),
      fromSeq,
      batch: PULL_BATCH,
      signal: this.unsubscribe.signal,
      logger: this.logger,
    }));
    this.feeding = this.feed(subscription).catch((e) => this.logger.error(`rebuild feed stopped: ${(e as Error).message}`));
  }

  private async feed(subscription: LogSubscription): Promise<void> {
    const live = this.options.live === true;
    for await (const event of subscription) {
      const behind = subscription.pending > 0;
      if (!behind) this.caughtUp = true;
      this.onEvent(event);
      for (const runner of this.runners) {
        if (!runner.fed) continue;
        if (!runner.follows(event)) {
          if (live) runner.passed(event.seq);
          runner.feedPosition(behind);
          continue;
        }
        const full = runner.offer(event);
        runner.feedPosition(behind);
        if (!full) continue;
        if (live && this.caughtUp) {
          this.logger.log(`read model ${runner.name} cannot keep up with the shared feed; it follows the log on its own from sequence ${event.seq + 1}`);
          runner.leaveFeed();
        } else {
          await full;
        }
      }
    }
  }

  /** Stops the feed, then every runner once what it received is applied. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe.abort();
    await this.feeding;
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
