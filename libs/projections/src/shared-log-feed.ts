import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { allEventsFilter } from '@memsidecar/core';
import { decodeStoredEvent, type EventStore } from '@memsidecar/event-store';
import type { ProjectionRunner } from './projection-runner';

const PULL_BATCH = 4_096;

/**
 * Feeds several runners from one ordered consumer over the whole log, for a rebuild: each event is
 * delivered and decoded once instead of once per read model, and the server scans the stream once.
 * The runners apply exactly as they do on their own consumers (same batches, same checkpoints).
 */
export class SharedLogFeed {
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private stopping = false;
  private fail: (e: Error) => void = () => {};
  /** Rejects if the consumer fails or ends before `stop()`: waiting for a catch-up would be in vain. */
  readonly broken: Promise<never> = new Promise<never>((_, reject) => (this.fail = reject));

  constructor(
    private readonly store: EventStore,
    readonly runners: ProjectionRunner[],
  ) {
    this.broken.catch(() => undefined);
  }

  /** Started and not stopped: the runners still take events. */
  get running(): boolean {
    return this.messages !== null && !this.stopping;
  }

  async start(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.openForFeed()));
    const from = Math.min(...this.runners.map((r) => r.applied)) + 1;
    const consumer = await this.store.js.consumers.get(this.store.stream, {
      filter_subjects: allEventsFilter(this.store.options.prefix),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: from,
    });
    this.messages = await consumer.consume({ max_messages: PULL_BATCH });
    this.loop = this.pump(this.messages);
  }

  private async pump(messages: ConsumerMessages): Promise<void> {
    try {
      await this.deliver(messages);
      if (!this.stopping) this.fail(new Error('the consumer feeding the rebuild ended'));
    } catch (e) {
      if (!this.stopping) this.fail(e as Error);
    }
  }

  private async deliver(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      const event = decodeStoredEvent(m.data, m.seq);
      const behind = m.info.pending > 0;
      for (const runner of this.runners) {
        const full = runner.follows(m.subject) ? runner.offer(event) : undefined;
        runner.feedPosition(behind);
        if (full) await full;
      }
    }
  }

  /** Stops the feed, then every runner once what it received is applied. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.messages?.close();
    await this.loop;
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}
