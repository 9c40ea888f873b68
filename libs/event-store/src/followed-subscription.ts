import type { JsMsg } from '@nats-io/jetstream';
import type { StoredEvent } from '@memsidecar/core';
import type { LogSubscription, SubscribeOptions } from './event-log';
import type { EventStore } from './event-store';
import { LogFollower } from './log-follower';

const QUIET = { log: () => {}, error: () => {} };

/**
 * A subscription on JetStream: a `LogFollower` (the one recovery policy for lost consumers and
 * connections) whose deliveries are handed to the loop one at a time. The follower's handler
 * returns only once the loop asks for the next event, so a slow loop holds the consumer back and is
 * never taken for a stall, exactly as a slow handler was.
 */
export class FollowedSubscription implements LogSubscription {
  private follower: LogFollower | null = null;
  private lastPending = 0;
  /** Delivered by the follower, not yet taken by the loop. */
  private offered: StoredEvent | null = null;
  /** The loop waits for the next event. */
  private taker: ((event: StoredEvent | null) => void) | null = null;
  /** The follower's handler waits for the loop to be done with the event it handed over. */
  private handedBack: (() => void) | null = null;
  private ended = false;

  constructor(
    private readonly store: EventStore,
    private readonly o: SubscribeOptions,
  ) {}

  get pending(): number {
    return this.lastPending;
  }

  get logEnd(): number {
    return this.follower?.logEnd ?? this.o.fromSeq - 1;
  }

  get impairment(): string | null {
    return this.follower?.impairment ?? null;
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.follower) throw new Error('a log subscription is iterated once');
    const { name = 'subscription', filter, fromSeq, batch } = this.o;
    this.follower = new LogFollower(this.store, { name, filter, fromSeq, batch }, this.o.logger ?? QUIET, (m) => this.offer(m));
    return this.events(this.follower);
  }

  private async *events(follower: LogFollower): AsyncGenerator<StoredEvent> {
    const signal = this.o.signal;
    const wake = () => this.take(null);
    signal?.addEventListener('abort', wake, { once: true });
    follower.start();
    try {
      for (;;) {
        const event = await this.next();
        if (!event) return;
        yield event;
      }
    } finally {
      signal?.removeEventListener('abort', wake);
      this.ended = true;
      this.giveBack();
      await follower.stop();
    }
  }

  /** The loop is done with the previous event and waits for the next, or null once aborted. */
  private next(): Promise<StoredEvent | null> {
    this.giveBack();
    if (this.o.signal?.aborted) return Promise.resolve(null);
    if (this.offered) {
      const event = this.offered;
      this.offered = null;
      return Promise.resolve(event);
    }
    return new Promise((resolve) => (this.taker = resolve));
  }

  private async offer(m: JsMsg): Promise<void> {
    if (this.ended) return;
    const event = await this.store.codec.decode(m.data, m.seq);
    // The loop may have ended while the payload was opened: nobody would hand the event back.
    if (this.ended) return;
    this.lastPending = m.info.pending;
    return new Promise((resolve) => {
      this.handedBack = resolve;
      if (this.taker) this.take(event);
      else this.offered = event;
    });
  }

  private take(event: StoredEvent | null): void {
    const taker = this.taker;
    this.taker = null;
    taker?.(event);
  }

  private giveBack(): void {
    const handedBack = this.handedBack;
    this.handedBack = null;
    handedBack?.();
  }
}
