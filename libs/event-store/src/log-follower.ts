import { DeliverPolicy, type Consumer, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import type { Status } from '@nats-io/transport-node';
import type { SubscriptionLogger } from './event-log';
import type { EventStore } from './event-store';
import { PULL_EXPIRES_MS } from './pull-timing';

export interface LogFollowerOptions {
  /** Who follows, for the log lines (e.g. `read model kv`). */
  name: string;
  filter: string;
  /** First stream sequence to deliver. */
  fromSeq: number;
  /** Messages asked for per pull. */
  batch?: number;
}

/** How often the follower compares what it received with the log's real end. */
const CHECK_EVERY_MS = 500;
/** No delivery for this long while the log holds more for the filter: the consumer is recreated. */
const STALL_MS = 1_000;
const BACKOFF_FIRST_MS = 100;
/** Low: recreating a consumer is cheap, and after a failover it should be back as soon as the stream has a leader. */
const BACKOFF_CAP_MS = 500;

/**
 * The JetStream adapter's one recovery policy for subscriptions (see `FollowedSubscription`).
 * Follows the log from a sequence, for ever, through any trouble: an ordered consumer whose loss
 * (nats-server restarted, a cluster node gone, the consumer deleted, a stall) is noticed from the
 * log's real position — the last sequence on the filter against the last one delivered — and
 * recreated from the next sequence not yet delivered, with a capped backoff. Events reach
 * `handle` once each, in order; a slow `handle` holds the consumer back and is never taken for a stall.
 * The loss and the recovery are logged once each.
 */
export class LogFollower {
  private consumer: Consumer | null = null;
  private messages: ConsumerMessages | null = null;
  private loop: Promise<void> | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private nextSeq: number;
  private lastProgressAt = Date.now();
  private handling = false;
  private checking = false;
  private logEndSeq = 0;
  private trouble: { reason: string; since: number } | null = null;
  private statuses: AsyncIterable<Status> | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly o: LogFollowerOptions,
    private readonly logger: SubscriptionLogger,
    private readonly handle: (m: JsMsg) => Promise<void> | void,
  ) {
    this.nextSeq = Math.max(1, o.fromSeq);
  }

  /** Highest sequence on the filter the log is known to hold (from deliveries and checks). */
  get logEnd(): number {
    return Math.max(this.logEndSeq, this.nextSeq - 1);
  }

  /** Why following is impaired right now, or null. */
  get impairment(): string | null {
    return this.trouble?.reason ?? null;
  }

  start(): void {
    this.loop = this.run();
    this.watchdog = setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.watchdog.unref();
    void this.recreateOnReconnect();
  }

  /**
   * Pulls and look-ups in flight when a connection drops are lost: after a reconnect the consumer is
   * recreated at once from the next undelivered sequence rather than when its heartbeats are missed.
   */
  private async recreateOnReconnect(): Promise<void> {
    this.statuses = this.store.nc.status();
    for await (const s of this.statuses) {
      if (this.stopped) break;
      if (s.type !== 'reconnect') continue;
      this.impaired(`reconnected to ${s.server}`);
      this.lastProgressAt = Date.now();
      await this.messages?.close().catch(() => undefined);
    }
  }

  /** Stops delivering; resolves once a `handle` under way has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    (this.statuses as { stop?: () => void } | null)?.stop?.();
    this.wake?.();
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped && !this.connectionClosing; attempt++) {
      try {
        this.messages = await this.open();
        // Closing only ends the iteration: a consumer stopped before it is read must still be read to its end.
        if (this.stopped) void this.messages.close().catch(() => undefined);
        await this.deliver(this.messages, () => (attempt = 0));
        if (!this.stopped && !this.connectionClosing) this.impaired('the consumer ended');
      } catch (e) {
        if (!this.stopped && !this.connectionClosing) this.impaired((e as Error).message);
      }
      // Its iteration is over, so closing returns at once (and stops its heartbeat timer).
      await this.messages?.close().catch(() => undefined);
      this.messages = null;
      // The server would keep an idle ephemeral consumer for minutes; short-lived followers (a lease
      // wait) would pile them up on the stream.
      void this.consumer?.delete().catch(() => undefined);
      this.consumer = null;
      if (!this.stopped) await this.pause(Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** attempt));
    }
  }

  /** The connection is being closed for good (a shutdown that did not stop this follower first): nothing to recover. */
  private get connectionClosing(): boolean {
    return this.store.nc.isClosed() || this.store.nc.isDraining();
  }

  private async open(): Promise<ConsumerMessages> {
    const consumer = (this.consumer = await this.store.followJs.consumers.get(this.store.stream, {
      filter_subjects: this.o.filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.nextSeq,
    }));
    this.lastProgressAt = Date.now();
    return consumer.consume({ max_messages: this.o.batch ?? 1024, expires: PULL_EXPIRES_MS });
  }

  private async deliver(messages: ConsumerMessages, delivering: () => void): Promise<void> {
    for await (const m of messages) {
      if (this.stopped) break;
      if (m.seq < this.nextSeq) continue;
      this.lastProgressAt = Date.now();
      this.handling = true;
      try {
        await this.handle(m);
      } catch (e) {
        // Not taken: delivered again from the new consumer.
        throw new Error(`could not take seq ${m.seq}: ${(e as Error).message}`);
      } finally {
        this.handling = false;
      }
      this.nextSeq = m.seq + 1;
      this.lastProgressAt = Date.now();
      if (this.trouble) {
        delivering();
        this.recovered();
      }
      if (this.stopped) break;
    }
  }

  /** Compares the log's real end with what was delivered; a consumer that fell silent is recreated. */
  private async check(): Promise<void> {
    if (this.stopped || this.handling || this.checking || Date.now() - this.lastProgressAt < STALL_MS) return;
    this.checking = true;
    try {
      const end = await this.store.lastSeq(this.o.filter);
      this.logEndSeq = end;
      if (end < this.nextSeq) {
        this.lastProgressAt = Date.now();
        if (this.messages) this.recovered();
        return;
      }
      if (this.handling || Date.now() - this.lastProgressAt < STALL_MS) return;
      this.impaired(`nothing delivered for ${Date.now() - this.lastProgressAt} ms while the log holds sequence ${end}`);
      this.lastProgressAt = Date.now();
      await this.messages?.close().catch(() => undefined);
    } catch (e) {
      this.impaired((e as Error).message);
    } finally {
      this.checking = false;
    }
  }

  private impaired(reason: string): void {
    if (this.trouble) return;
    this.trouble = { reason, since: Date.now() };
    this.logger.error(`${this.o.name}: following the log is impaired (${reason}); recovering from sequence ${this.nextSeq}`);
  }

  private recovered(): void {
    if (!this.trouble) return;
    const seconds = ((Date.now() - this.trouble.since) / 1000).toFixed(1);
    this.trouble = null;
    this.logger.log(`${this.o.name}: following the log again from sequence ${this.nextSeq} after ${seconds} s`);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      this.wake = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
