import { MemError, allEventsFilter, systemClock, type Clock, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { ConcurrencyConflict, type AppendOptions, type Appended, type EventLog, type LogReadOptions, type LogSubscription, type SubscribeOptions } from './event-log';
import { PLAIN_CODEC, type EventCodec } from './stored-event-codec';
import { MIN_DUPLICATE_WINDOW_MS } from './stream-config';
import { isLiteralSubject, subjectMatches } from './subject-filter';

export interface InMemoryEventLogOptions {
  /** `mem` unless told otherwise. */
  prefix?: string;
  /** How long a message id is remembered; JetStream's stream never remembers less than two minutes. */
  duplicateWindowMs?: number;
  /** Where the duplicate window reads time (a `ManualClock` lets a spec step past it). */
  clock?: Clock;
  /** Bytes to events and back; payloads stay clear without one. */
  codec?: EventCodec;
}

interface Entry {
  subject: string;
  /** The envelope as JSON bytes, decoded on every read: callers get their own copy, upcast as from JetStream. */
  data: Uint8Array;
}

/**
 * The event log in this process's memory, for specs: the same contract as JetStream (sequences from
 * 1, the expectation on the subject's last sequence, message ids deduplicated inside the window
 * and checked before the expectation, NATS wildcards in filters, subscriptions that see appends as
 * they happen). Nothing survives the process; a log for one test run.
 */
export class InMemoryEventLog implements EventLog {
  readonly prefix: string;
  private readonly entries: Entry[] = [];
  private readonly lastBySubject = new Map<string, number>();
  /** Message ids by first use, oldest first, so expired ones are dropped from the front. */
  private readonly msgIds = new Map<string, { seq: number; at: number }>();
  private readonly waiting = new Set<() => void>();
  private readonly duplicateWindowMs: number;
  private readonly clock: Clock;
  private readonly codec: EventCodec;

  constructor(o: InMemoryEventLogOptions = {}) {
    this.prefix = o.prefix ?? 'mem';
    this.duplicateWindowMs = Math.max(o.duplicateWindowMs ?? MIN_DUPLICATE_WINDOW_MS, MIN_DUPLICATE_WINDOW_MS);
    this.clock = o.clock ?? systemClock;
    this.codec = o.codec ?? PLAIN_CODEC;
  }

  /** How many events the log holds (the sequence of the newest). */
  get size(): number {
    return this.entries.length;
  }

  async append(subject: string, envelope: EventEnvelope, o: AppendOptions): Promise<Appended> {
    // JetStream has no stream for any other subject: the publish finds no responder.
    if (!isLiteralSubject(subject) || !subjectMatches(allEventsFilter(this.prefix), subject)) {
      throw new MemError('UNAVAILABLE', `event log unavailable: no stream holds ${subject}`);
    }
    // Sealed before any check: from the checks to the push nothing else may run.
    const data = Buffer.from(await this.codec.encode(envelope));
    const now = this.clock.now().getTime();
    this.forgetExpiredIds(now);
    const seen = o.msgId === undefined ? undefined : this.msgIds.get(o.msgId);
    if (seen) return { seq: seen.seq, duplicate: true };
    if ((this.lastBySubject.get(subject) ?? 0) !== o.expectedLastSubjectSeq) throw new ConcurrencyConflict(subject, o.expectedLastSubjectSeq);
    this.entries.push({ subject, data });
    const seq = this.entries.length;
    this.lastBySubject.set(subject, seq);
    if (o.msgId !== undefined) this.msgIds.set(o.msgId, { seq, at: now });
    for (const wake of this.waiting) wake();
    return { seq, duplicate: false };
  }

  async last(filter: string): Promise<StoredEvent | null> {
    const seq = this.lastMatching(filter);
    return seq === 0 ? null : this.decode(seq);
  }

  async lastSeq(filter: string): Promise<number> {
    return this.lastMatching(filter);
  }

  async at(seq: number): Promise<StoredEvent | null> {
    return Number.isInteger(seq) && seq >= 1 && seq <= this.entries.length ? this.decode(seq) : null;
  }

  async *read(o: LogReadOptions = {}): AsyncGenerator<StoredEvent> {
    const filter = o.filter ?? allEventsFilter(this.prefix);
    const end = this.entries.length;
    for (let seq = Math.max(1, o.fromSeq ?? 1); seq <= end; seq++) {
      if (o.signal?.aborted) return;
      if (subjectMatches(filter, this.entries[seq - 1].subject)) yield await this.decode(seq);
    }
  }

  subscribe(o: SubscribeOptions): LogSubscription {
    const log = this;
    let nextSeq = Math.max(1, o.fromSeq);
    return {
      get pending() {
        return log.countMatching(o.filter, nextSeq);
      },
      get logEnd() {
        return Math.max(log.lastMatching(o.filter), nextSeq - 1);
      },
      impairment: null,
      async *[Symbol.asyncIterator]() {
        while (!o.signal?.aborted) {
          const seq = log.firstMatching(o.filter, nextSeq);
          if (seq === 0) {
            await log.appendOrAbort(o.signal);
            continue;
          }
          nextSeq = seq + 1;
          yield await log.decode(seq);
        }
      },
    };
  }

  private decode(seq: number): Promise<StoredEvent> {
    return this.codec.decode(this.entries[seq - 1].data, seq);
  }

  private lastMatching(filter: string): number {
    if (isLiteralSubject(filter)) return this.lastBySubject.get(filter) ?? 0;
    for (let seq = this.entries.length; seq >= 1; seq--) if (subjectMatches(filter, this.entries[seq - 1].subject)) return seq;
    return 0;
  }

  private firstMatching(filter: string, fromSeq: number): number {
    for (let seq = fromSeq; seq <= this.entries.length; seq++) if (subjectMatches(filter, this.entries[seq - 1].subject)) return seq;
    return 0;
  }

  private countMatching(filter: string, fromSeq: number): number {
    let count = 0;
    for (let seq = fromSeq; seq <= this.entries.length; seq++) if (subjectMatches(filter, this.entries[seq - 1].subject)) count++;
    return count;
  }

  /** Resolves at the next append, or when `signal` aborts. */
  private appendOrAbort(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private forgetExpiredIds(now: number): void {
    for (const [id, { at }] of this.msgIds) {
      if (now - at < this.duplicateWindowMs) return;
      this.msgIds.delete(id);
    }
  }
}
