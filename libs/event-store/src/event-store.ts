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
import { MemError, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { eventLogStreamConfig, type EventLogOptions } from './stream-config';

/** JetStream's answer when the expected last subject sequence is not the real one. */
const WRONG_LAST_SEQUENCE = 10071;

export class ConcurrencyConflict extends Error {
  constructor(readonly subject: string, readonly expectedSeq: number) {
    super(`another writer appended to ${subject} after sequence ${expectedSeq}`);
  }
}

export interface AppendOptions {
  /** Stream sequence of the last event on the subject this decision was based on; 0 = none. */
  expectedSeq: number;
  /** Becomes `Nats-Msg-Id`: JetStream stores one message per id inside its duplicate window. */
  msgId?: string;
}

export interface Appended {
  seq: number;
  /** True when the message id was seen before: nothing was written, `seq` is the original's. */
  duplicate: boolean;
}

export interface ReadOptions {
  filter?: string;
  fromSeq?: number;
  since?: Date;
}

export const decodeStoredEvent = (data: Uint8Array, seq: number): StoredEvent => {
  const envelope = JSON.parse(Buffer.from(data).toString('utf8')) as EventEnvelope;
  return { ...envelope, seq };
};

/** The event log: appends with optimistic concurrency per subject, point reads and replay. */
export class EventStore {
  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly options: EventLogOptions,
  ) {}

  /** Connects to the log, creating or updating its stream (idempotent). */
  static async open(nc: NatsConnection, options: EventLogOptions): Promise<EventStore> {
    const jsm = await jetstreamManager(nc);
    const config = eventLogStreamConfig(options);
    try {
      await jsm.streams.info(options.stream);
      await jsm.streams.update(options.stream, config);
    } catch (e) {
      if (!(e instanceof JetStreamApiError) || e.code !== 10059) throw e;
      await jsm.streams.add(config);
    }
    return new EventStore(nc, jetstream(nc), jsm, options);
  }

  get stream(): string {
    return this.options.stream;
  }

  async append(subject: string, envelope: EventEnvelope, o: AppendOptions): Promise<Appended> {
    try {
      const ack = await this.js.publish(subject, JSON.stringify(envelope), {
        expect: { lastSubjectSequence: o.expectedSeq },
        ...(o.msgId ? { msgID: o.msgId } : {}),
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === WRONG_LAST_SEQUENCE) throw new ConcurrencyConflict(subject, o.expectedSeq);
      throw unavailable(e);
    }
  }

  /** The newest event on a subject (wildcards allowed), or null when there is none. */
  async last(subject: string): Promise<StoredEvent | null> {
    const msg = await this.direct({ last_by_subj: subject });
    return msg && decodeStoredEvent(msg.data, msg.seq);
  }

  /** Stream sequence of the newest event matching the filter, 0 when none. */
  async lastSeq(filter: string): Promise<number> {
    const msg = await this.direct({ last_by_subj: filter });
    return msg?.seq ?? 0;
  }

  async at(seq: number): Promise<StoredEvent | null> {
    const msg = await this.direct({ seq });
    return msg && decodeStoredEvent(msg.data, msg.seq);
  }


  /** Reads events in order from a sequence or a time up to the log's end at the time of the call. */
  async *read(o: ReadOptions = {}): AsyncGenerator<StoredEvent> {
    const filter = o.filter ?? `${this.options.prefix}.evt.>`;
    const end = await this.lastSeq(filter);
    if (end === 0 || (o.fromSeq ?? 1) > end) return;
    const consumer = await this.js.consumers.get(this.options.stream, {
      filter_subjects: filter,
      ...(o.since
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: o.since.toISOString() }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, o.fromSeq ?? 1) }),
    });
    const messages = await consumer.consume({ max_messages: 1024 });
    try {
      for await (const m of messages) {
        yield decodeStoredEvent(m.data, m.seq);
        if (m.seq >= end || m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
  }

  private async direct(query: { last_by_subj: string } | { seq: number }): Promise<StoredMsg | null> {
    try {
      return await this.jsm.direct.getMessage(this.options.stream, query);
    } catch (e) {
      throw unavailable(e);
    }
  }
}

const unavailable = (e: unknown): MemError =>
  new MemError('UNAVAILABLE', `event log unavailable: ${(e as Error).message}`);
