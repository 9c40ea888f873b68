import { createInbox, headers, type Msg, type NatsConnection, type Status, type Subscription } from '@nats-io/transport-node';

/** JetStream's answer to a publish, or the API error it sent instead. */
export type PublishAnswer = { seq: number; duplicate: boolean } | { error: { code: number; errCode: number; description: string } };

export interface PublishExpectations {
  /** `Nats-Expected-Last-Subject-Sequence`. */
  lastSubjectSequence: number;
  /** `Nats-Msg-Id`: deduplication within the stream's window. */
  msgId?: string;
}

interface Waiting {
  resolve(answer: PublishAnswer): void;
  reject(error: Error): void;
  deadline: number;
}

const SWEEP_EVERY_MS = 100;
const decoder = new TextDecoder();

/**
 * Publishes to JetStream and awaits the acknowledgements on one inbox subscription: a publish is a
 * message out and a map entry, with no timer, promise chain or error object per request (what a
 * NATS request costs). Publishes made in the same turn leave in one socket write, in order; each
 * keeps its own subject and expectation, so the stream checks them one by one. A publish whose
 * acknowledgement does not come within the timeout, or is lost with the connection, fails.
 */
export class JetStreamPublisher {
  private readonly inbox: string;
  private readonly waiting = new Map<string, Waiting>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private readonly statuses: AsyncIterable<Status> & { stop?: () => void };
  private counter = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.inbox = `${createInbox()}.`;
    this.subscription = nc.subscribe(`${this.inbox}*`, { callback: (_err, msg) => this.answered(msg) });
    this.sweeper = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
    this.sweeper.unref();
    this.statuses = nc.status();
    void this.failOnDisconnect();
  }

  /** Resolves with the stream's answer; rejects when there is none (no stream, timeout, connection lost). */
  publish(subject: string, data: string, expect: PublishExpectations): Promise<PublishAnswer> {
    const token = (++this.counter).toString(36);
    const h = headers();
    h.set('Nats-Expected-Last-Subject-Sequence', String(expect.lastSubjectSequence));
    if (expect.msgId) h.set('Nats-Msg-Id', expect.msgId);
    return new Promise((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs });
      try {
        this.nc.publish(subject, data, { reply: this.inbox + token, headers: h });
      } catch (e) {
        this.waiting.delete(token);
        reject(e as Error);
      }
    });
  }

  close(): void {
    clearInterval(this.sweeper);
    this.statuses.stop?.();
    this.subscription.unsubscribe();
    this.failAll('the connection to the log closed');
  }

  private answered(msg: Msg): void {
    const token = msg.subject.slice(this.inbox.length);
    const waiting = this.waiting.get(token);
    if (!waiting) return;
    this.waiting.delete(token);
    if (msg.data.length === 0 && msg.headers?.code === 503) {
      waiting.reject(new Error('no stream answered the publish (no responders)'));
      return;
    }
    try {
      waiting.resolve(parseAnswer(decoder.decode(msg.data)));
    } catch (e) {
      waiting.reject(e as Error);
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, waiting] of this.waiting) {
      if (waiting.deadline > now) continue;
      this.waiting.delete(token);
      waiting.reject(new Error(`no acknowledgement within ${this.timeoutMs} ms`));
    }
  }

  /** An acknowledgement cannot arrive over a connection that dropped: what waits for one fails now. */
  private async failOnDisconnect(): Promise<void> {
    for await (const s of this.statuses) {
      if (s.type === 'disconnect') this.failAll(`the connection dropped (${s.server})`);
    }
  }

  private failAll(reason: string): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.reject(new Error(reason));
  }
}

function parseAnswer(text: string): PublishAnswer {
  const ack = JSON.parse(text) as { seq?: number; duplicate?: boolean; error?: { code: number; err_code: number; description: string } };
  if (ack.error) return { error: { code: ack.error.code, errCode: ack.error.err_code, description: ack.error.description } };
  if (typeof ack.seq !== 'number') throw new Error(`unreadable publish acknowledgement: ${text.slice(0, 200)}`);
  return { seq: ack.seq, duplicate: ack.duplicate === true };
}
