import type { JsMsg } from '@nats-io/jetstream';
import { allEventsFilter } from '@memsidecar/core';
import { LogFollower, decodeStoredEvent, type EventStore, type FollowerLogger } from '@memsidecar/event-store';
import type { ProjectionRunner } from './projection-runner';

const PULL_BATCH = 4_096;

/**
 * Feeds several runners from one ordered consumer over the whole log, for a rebuild: each event is
 * delivered and decoded once instead of once per read model, and the server scans the stream once.
 * The runners apply exactly as they do on their own consumers (same batches, same checkpoints).
 * The consumer is a `LogFollower`: trouble with NATS delays the feed, never ends it.
 */
export class SharedLogFeed {
  private follower: LogFollower | null = null;
  private stopping = false;

  constructor(
    private readonly store: EventStore,
    readonly runners: ProjectionRunner[],
    private readonly logger: FollowerLogger = { log: () => {}, error: () => {} },
  ) {}

  /** Started and not stopped: the runners still take events. */
  get running(): boolean {
    return this.follower !== null && !this.stopping;
  }

  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.openForFeed()));
    const fromSeq = Math.min(...this.runners.map((r) => r.applied)) + 1;
    this.follower = new LogFollower(this.store, { name: 'rebuild feed', filter: allEventsFilter(this.store.options.prefix), fromSeq, batch: PULL_BATCH }, this.logger, (m) =>
      this.deliver(m),
    );
    this.follower.start();
  }

  private async deliver(m: JsMsg): Promise<void> {
    const event = decodeStoredEvent(m.data, m.seq);
    const behind = m.info.pending > 0;
    for (const runner of this.runners) {
      const full = runner.follows(m.subject) ? runner.offer(event) : undefined;
      runner.feedPosition(behind);
      if (full) await full;
    }
  }

  /** Stops the feed, then every runner once what it received is applied. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.follower?.stop();
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
