import type { EventEnvelope, StoredEvent } from '@memsidecar/core';

/**
 * The event log as the rest of the service sees it: appends with optimistic concurrency per
 * subject, point reads, bounded reads and an endless subscription. Two adapters implement it and
 * pass one contract suite (`event-log.contract.ts`): `EventStore` over JetStream, and
 * `InMemoryEventLog` for specs that run the whole write and read path in one process.
 *
 * Subjects are NATS subjects under `<prefix>.evt.`; filters use NATS wildcards (`*` one token,
 * `>` one or more trailing tokens).
 */
export interface EventLog {
  /** First token of every subject the log holds (`mem`). */
  readonly prefix: string;
  /**
   * Appends one event unless another was appended to `subject` since `expectedLastSubjectSeq`
   * (then `ConcurrencyConflict`, nothing written). A `msgId` seen within the duplicate window is
   * answered with the original's sequence and `duplicate: true`, whatever the expectation.
   */
  append(subject: string, envelope: EventEnvelope, o: AppendOptions): Promise<Appended>;
  /** The newest event matching the filter, or null when there is none. */
  last(filter: string): Promise<StoredEvent | null>;
  /** Sequence of the newest event matching the filter, 0 when none. */
  lastSeq(filter: string): Promise<number>;
  /** The event stored at `seq`, or null when there is none. */
  at(seq: number): Promise<StoredEvent | null>;
  /** Events in order from `fromSeq` up to the log's end at the time of the call. */
  read(o?: LogReadOptions): AsyncIterable<StoredEvent>;
  /**
   * Events in order from `fromSeq` for as long as the subscription is iterated: the history, then
   * each event as it is appended. Trouble reaching the log delays delivery, never ends it (the
   * adapter recovers by itself, from the next sequence not yet delivered); an abort of `signal`
   * or leaving the loop ends it. An event reaches the loop once; one the loop fails on is not
   * delivered again.
   */
  subscribe(o: SubscribeOptions): LogSubscription;
}

export interface AppendOptions {
  /** Stream sequence of the last event on the subject this decision was based on; 0 = none. */
  expectedLastSubjectSeq: number;
  /** The log stores one event per id inside its duplicate window. */
  msgId?: string;
}

export interface Appended {
  seq: number;
  /** True when the message id was seen before: nothing was written, `seq` is the original's. */
  duplicate: boolean;
}

export interface LogReadOptions {
  /** Every event of the log when absent. */
  filter?: string;
  fromSeq?: number;
  /** Ends the read: no event is delivered after it aborts. */
  signal?: AbortSignal;
}

export interface SubscribeOptions {
  filter: string;
  /** First sequence to deliver. */
  fromSeq: number;
  signal?: AbortSignal;
  /** Who subscribes, for the log lines about losing and regaining the log (e.g. `read model kv`). */
  name?: string;
  logger?: SubscriptionLogger;
  /** How many events to fetch at once, where the adapter fetches. */
  batch?: number;
}

export interface SubscriptionLogger {
  log(message: string): void;
  error(message: string): void;
}

/** An endless read; its figures are as of the event last delivered. */
export interface LogSubscription extends AsyncIterable<StoredEvent> {
  /** Events matching the filter the log holds after the one last delivered, as last known. */
  readonly pending: number;
  /** Highest sequence on the filter the log is known to hold. */
  readonly logEnd: number;
  /** Why delivery is impaired right now (the log unreachable, a consumer lost), or null. */
  readonly impairment: string | null;
}

/** The log refused an append: another writer appended to the subject after the expected sequence. */
export class ConcurrencyConflict extends Error {
  constructor(readonly subject: string, readonly expectedSeq: number) {
    super(`another writer appended to ${subject} after sequence ${expectedSeq}`);
  }
}
