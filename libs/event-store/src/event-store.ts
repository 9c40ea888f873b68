import {
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { MemError, allEventsFilter, inChildSpan, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { ConcurrencyConflict, type AppendOptions, type Appended, type EventLog, type LogReadOptions, type LogSubscription, type SubscribeOptions } from './event-log';
import { FollowedSubscription } from './followed-subscription';
import { JetStreamPublisher, type PublishAnswer } from './jetstream-publisher';
import { PULL_EXPIRES_MS } from './pull-timing';
import { PLAIN_CODEC, type EventCodec } from './stored-event-codec';
import { eventLogStreamConfig, type EventLogOptions } from './stream-config';

/**
 * A direct get lost with a connection that dropped (or sent while a restarted server loads its
 * streams) fails after this long rather than the client's default 5 s, so callers retry sooner.
 */
const DIRECT_GET_TIMEOUT_MS = 1_500;

const FOLLOW_API_TIMEOUT_MS = 1_000;

/** How long an append waits for the stream's acknowledgement (the JetStream client's default). */
const PUBLISH_TIMEOUT_MS = 5_000;

/** JetStream's answer when the expected last subject sequence is not the real one. */
const WRONG_LAST_SEQUENCE = 10071;

/** What the JetStream adapter reads besides the port's options (for the operators' tools). */
export interface ReadOptions extends LogReadOptions {
  since?: Date;
  /** Keep delivering events appended after the call instead of ending at the log's end. */
  follow?: boolean;
}

/**
 * The event log on JetStream (the `EventLog` adapter the service runs on): one stream, appends
 * guarded by `Nats-Expected-Last-Subject-Sequence` and deduplicated by `Nats-Msg-Id`, point reads
 * by direct get, reads and subscriptions by ordered consumers. Subscriptions are supervised by a
 * `LogFollower`. The connection and clients stay public for what is JetStream's own (the object
 * store of artifacts, the operators' tools).
 */
export class EventStore implements EventLog {
  private readonly publisher: JetStreamPublisher;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    /** For point reads: a direct get answers in a millisecond, so one that does not answer soon was lost. */
    private readonly quickJsm: JetStreamManager,
    /**
     * For the consumers log followers (re)create (a few milliseconds when all is well): a create
     * lost in a failover or a restart is asked again after 1 s rather than the client's default 5 s.
     */
    readonly followJs: JetStreamClient,
    readonly options: EventLogOptions,
    /** Bytes to events and back, sealing payloads where a key store is configured. */
    readonly codec: EventCodec,
  ) {
    this.publisher = new JetStreamPublisher(nc, PUBLISH_TIMEOUT_MS);
  }

  /** Connects to the log, creating or updating its stream (idempotent). */
  static async open(nc: NatsConnection, options: EventLogOptions, codec: EventCodec = PLAIN_CODEC): Promise<EventStore> {
    const jsm = await jetstreamManager(nc);
    const config = eventLogStreamConfig(options);
    try {
      await jsm.streams.info(options.stream);
      await jsm.streams.update(options.stream, config);
    } catch (e) {
      if (!(e instanceof JetStreamApiError) || e.code !== 10059) throw e;
      await jsm.streams.add(config);
    }
    const quickJsm = await jetstreamManager(nc, { timeout: DIRECT_GET_TIMEOUT_MS, checkAPI: false });
    return new EventStore(nc, jetstream(nc), jsm, quickJsm, jetstream(nc, { timeout: FOLLOW_API_TIMEOUT_MS }), options, codec);
  }

  get stream(): string {
    return this.options.stream;
  }

  get prefix(): string {
    return this.options.prefix;
  }

  append(subject: string, envelope: EventEnvelope, o: AppendOptions): Promise<Appended> {
    const attributes = { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'memsidecar.event_type': envelope.type, 'memsidecar.expected_seq': o.expectedLastSubjectSeq };
    return inChildSpan('jetstream.publish', attributes, async (span) => {
      const appended = await this.publish(subject, envelope, o);
      span?.setAttributes({ 'memsidecar.seq': appended.seq, 'memsidecar.duplicate': appended.duplicate });
      return appended;
    });
  }

  private async publish(subject: string, envelope: EventEnvelope, o: AppendOptions): Promise<Appended> {
    let answer: PublishAnswer;
    try {
      answer = await this.publisher.publish(subject, await this.codec.encode(envelope), { lastSubjectSequence: o.expectedLastSubjectSeq, msgId: o.msgId });
    } catch (e) {
      throw unavailable(e);
    }
    if (!('error' in answer)) return answer;
    if (answer.error.errCode === WRONG_LAST_SEQUENCE) throw new ConcurrencyConflict(subject, o.expectedLastSubjectSeq);
    throw unavailable(new Error(answer.error.description));
  }

  /** Fails the appends still waiting for an acknowledgement; call once the connection is drained. */
  close(): void {
    this.publisher.close();
  }

  async last(filter: string): Promise<StoredEvent | null> {
    const msg = await this.direct({ last_by_subj: filter });
    return msg && this.codec.decode(msg.data, msg.seq);
  }

  async lastSeq(filter: string): Promise<number> {
    const msg = await this.direct({ last_by_subj: filter });
    return msg?.seq ?? 0;
  }

  /**
   * How many events matching the filter the log holds after `afterSeq`, counted one by one (headers
   * only): a consumer's pending count is not exact on nats-server 2.9 when it starts mid-stream.
   */
  async countAfter(filter: string, afterSeq: number): Promise<number> {
    const end = await this.lastSeq(filter);
    if (end <= afterSeq) return 0;
    // The stream holds nothing but events and never loses one: for all of them, sequences count.
    if (filter === allEventsFilter(this.options.prefix)) return end - afterSeq;
    let count = 0;
    try {
      const consumer = await this.js.consumers.get(this.options.stream, {
        filter_subjects: filter,
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: afterSeq + 1,
        headers_only: true,
      });
      const messages = await consumer.consume({ max_messages: 4096, expires: PULL_EXPIRES_MS });
      try {
        for await (const m of messages) {
          count++;
          if (m.seq >= end) break;
        }
      } finally {
        await messages.close();
      }
    } catch (e) {
      throw unavailable(e);
    }
    return count;
  }

  async at(seq: number): Promise<StoredEvent | null> {
    const msg = await this.direct({ seq });
    return msg && this.codec.decode(msg.data, msg.seq);
  }

  subscribe(o: SubscribeOptions): LogSubscription {
    return new FollowedSubscription(this, o);
  }

  /**
   * Reads events in order from a sequence or a time up to the log's end at the time of the call
   * (or on and on with `follow`, until `signal` aborts).
   */
  async *read(o: ReadOptions = {}): AsyncGenerator<StoredEvent> {
    const filter = o.filter ?? `${this.options.prefix}.evt.>`;
    const end = await this.lastSeq(filter);
    // A consumer started at a time past the log's end would wait for ever: the time becomes a sequence.
    const fromSeq = o.since ? ((await this.firstSeqAtTime(o.since)) ?? end + 1) : Math.max(1, o.fromSeq ?? 1);
    if (!o.follow && (end === 0 || fromSeq > end)) return;
    if (o.signal?.aborted) return;
    const consumer = await this.js.consumers.get(this.options.stream, {
      filter_subjects: filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: fromSeq,
    });
    const messages = await consumer.consume({ max_messages: 1024, expires: PULL_EXPIRES_MS });
    const stop = () => void messages.close();
    o.signal?.addEventListener('abort', stop, { once: true });
    try {
      for await (const m of messages) {
        if (o.signal?.aborted) break;
        yield await this.codec.decode(m.data, m.seq);
        // Not `m.info.pending`: nats-server 2.9 miscounts it for wildcard filters that start mid-stream.
        if (!o.follow && m.seq >= end) break;
      }
    } finally {
      o.signal?.removeEventListener('abort', stop);
      await messages.close();
    }
  }

  /**
   * Sequence of the first message the stream stored at or after `time` (or strictly after it), by
   * the server's own storage timestamps; null when there is none yet.
   */
  async firstSeqAtTime(time: Date, o: { strictlyAfter?: boolean } = {}): Promise<number | null> {
    // Storage timestamps have nanoseconds: one nanosecond past a millisecond time is "after" it.
    const start = BigInt(time.getTime()) * 1_000_000n + (o.strictlyAfter ? 1n : 0n);
    const last = await this.direct({ last_by_subj: allEventsFilter(this.options.prefix) });
    // The newest message decides whether there is one (a consumer's pending count is not exact on 2.9).
    if (!last || storedAtNanos(last.timestamp) < start) return null;
    const consumer = await this.js.consumers.get(this.options.stream, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: rfc3339Nanos(start) });
    try {
      const first = await consumer.next({ expires: 30_000 });
      if (!first) throw new MemError('UNAVAILABLE', `event log unavailable: no message at or after ${rfc3339Nanos(start)} was delivered`);
      return first.seq;
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  private async direct(query: { last_by_subj: string } | { seq: number }): Promise<StoredMsg | null> {
    try {
      return await this.quickJsm.direct.getMessage(this.options.stream, query);
    } catch (e) {
      throw unavailable(e);
    }
  }
}

/** Nanoseconds since the epoch of an RFC 3339 time with up to nine fractional digits. */
function storedAtNanos(rfc3339: string): bigint {
  const match = /^([^.]+?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!match) throw new MemError('INTERNAL', `unreadable storage time ${rfc3339}`);
  return BigInt(Date.parse(`${match[1]}${match[3]}`)) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

const rfc3339Nanos = (nanos: bigint): string =>
  `${new Date(Number(nanos / 1_000_000_000n) * 1000).toISOString().slice(0, 19)}.${String(nanos % 1_000_000_000n).padStart(9, '0')}Z`;

const unavailable = (e: unknown): MemError =>
  new MemError('UNAVAILABLE', `event log unavailable: ${(e as Error).message}`);
