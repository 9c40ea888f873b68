import { allEventsFilter } from '@memsidecar/core';
import type { EventLog, LogSubscription, SubscriptionLogger } from '@memsidecar/event-store';
import type { ProjectionRunner } from './projection-runner';

const PULL_BATCH = 4_096;

/**
 * Feeds several runners from one subscription to the whole log, for a rebuild: each event is
 * delivered and decoded once instead of once per read model, and the server scans the stream once.
 * The runners apply exactly as they do on their own subscriptions (same batches, same checkpoints).
 * Trouble reaching the log delays the feed, never ends it.
 */
export class SharedLogFeed {
  private readonly unsubscribe = new AbortController();
  private feeding: Promise<void> | null = null;
  private stopping = false;

  constructor(
    private readonly store: EventLog,
    readonly runners: ProjectionRunner[],
    private readonly logger: SubscriptionLogger = { log: () => {}, error: () => {} },
  ) {}

  /** Started and not stopped: the runners still take events. */
  get running(): boolean {
    return this.feeding !== null && !this.stopping;
  }

  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.openForFeed()));
    const fromSeq = Math.min(...this.runners.map((r) => r.applied)) + 1;
    const subscription = this.store.subscribe({
      name: 'rebuild feed',
      filter: allEventsFilter(this.store.prefix),
      fromSeq,
      batch: PULL_BATCH,
      signal: this.unsubscribe.signal,
      logger: this.logger,
    });
    this.feeding = this.feed(subscription).catch((e) => this.logger.error(`rebuild feed stopped: ${(e as Error).message}`));
  }

  private async feed(subscription: LogSubscription): Promise<void> {
    for await (const event of subscription) {
      const behind = subscription.pending > 0;
      for (const runner of this.runners) {
        const full = runner.follows(event) ? runner.offer(event) : undefined;
        runner.feedPosition(behind);
        if (full) await full;
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
