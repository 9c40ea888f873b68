import { randomUUID } from 'node:crypto';
import { operationsWhere } from '@memsidecar/core';
import { pause, untilAborted } from './abort';
import { retryDelayMs } from './backoff';
import type { ClientLogger, RetryPolicy } from './config';
import { MemoryError, SessionClosedError, isSessionClosed } from './errors';
import type { TransactionLog } from './transaction-log';
import type { CallHeaders, NatsTransport } from './transport';

/** Mutations of memory itself, written to the transaction log and sent again after a crash. */
export const JOURNALED = operationsWhere('journaled');

/** Operations that change something: each attempt of one call carries the same `Mem-Request-Id`. */
export const MUTATIONS = operationsWhere('mutation');

/** What a call needs of a session; `endedReason` is set once the client knows the session ended. */
export interface SessionBinding {
  sessionId: string;
  sessionToken: string;
  endedReason?: string | null;
  /** Told when the service answered SESSION_CLOSED to a call in this session, so later calls fail at once. */
  markEnded?(reason: string): void;
}

export interface CallOptions {
  /** Idempotency key; generated for every mutation when absent. */
  requestId?: string;
  /** Ties the call to an open session (`Mem-Session-Id` / `Mem-Session-Token`). */
  session?: SessionBinding;
  /** Per-attempt reply timeout. */
  timeoutMs?: number;
  /**
   * Gives up once aborted: no further retry, and no more waiting for the attempt on the wire. A
   * journaled mutation given up this way stays in the transaction log, to be sent again on the
   * next start (its request id makes that harmless).
   */
  signal?: AbortSignal;
}

/**
 * The service answered and said no: sending the same request again would get the same answer.
 * Every failure of the transport (and a storage outage the service reports) is UNAVAILABLE, so a
 * closed connection or a deadline never counts as a refusal.
 */
export const isRefusal = (e: unknown): boolean => e instanceof MemoryError && e.code !== 'UNAVAILABLE';

const givenUp = (op: string, signal: AbortSignal) => () =>
  new MemoryError('UNAVAILABLE', `${op}: gave up waiting for a reply${signal.reason instanceof Error ? ` (${signal.reason.message})` : ''}`, 'ABORTED', undefined, op);

/**
 * Runs one operation with retries: only retryable failures (no responders, timeouts, UNAVAILABLE)
 * are tried again, after a capped, session-jittered backoff, always with the same request id;
 * a refusal (4xx) never is. Journaled mutations go through the transaction log.
 */
export class Caller {
  constructor(
    private readonly transport: NatsTransport,
    private readonly policy: RetryPolicy,
    /** Whose jitter the delays use: the current session, or the client's own id. */
    private readonly jitterKey: () => string,
    private readonly outbox: TransactionLog | null,
    private readonly logger: ClientLogger,
    /** Told of every pause before a retry (for observability and tests). */
    private readonly onRetry: (op: string, attempt: number, delayMs: number, error: MemoryError) => void = () => {},
  ) {}

  /**
   * Writes a mutation to the transaction log now, ahead of its call with the same `requestId`: a
   * write queued behind others is then as durable as one on the wire.
   */
  journal(op: string, body: object, requestId: string): void {
    if (this.outbox !== null && JOURNALED.has(op)) this.outbox.written({ id: requestId, op, body, at: new Date().toISOString() });
  }

  async call<T>(op: string, body: object, o: CallOptions = {}): Promise<T> {
    if (o.session?.endedReason) throw new SessionClosedError(o.session.sessionId, `session ${o.session.sessionId} ${o.session.endedReason}`, op);
    const requestId = o.requestId ?? (MUTATIONS.has(op) ? randomUUID() : undefined);
    const journaled = this.outbox !== null && requestId !== undefined && JOURNALED.has(op);
    if (journaled) this.journal(op, body, requestId!);
    const headers: CallHeaders = { requestId, sessionId: o.session?.sessionId, sessionToken: o.session?.sessionToken };
    try {
      const result = await this.withRetries(op, () => this.transport.request(op, body, headers, o.timeoutMs), o.signal);
      if (journaled) this.outbox!.acknowledged(requestId!, (result as { seq?: number }).seq);
      return result as T;
    } catch (e) {
      if (journaled && isRefusal(e)) this.outbox!.refused(requestId!, (e as MemoryError).code);
      if (o.session && isSessionClosed(e)) {
        o.session.markEnded?.(`was closed or orphaned on the service (${(e as Error).message})`);
        throw new SessionClosedError(o.session.sessionId, (e as Error).message, op);
      }
      throw e;
    }
  }

  /** Sends an outbox entry again with its original request id. */
  async resend(entry: { id: string; op: string; body: unknown }): Promise<void> {
    try {
      const result = await this.withRetries(entry.op, () => this.transport.request(entry.op, entry.body, { requestId: entry.id }));
      this.outbox?.acknowledged(entry.id, (result as { seq?: number }).seq);
    } catch (e) {
      if (isRefusal(e)) {
        this.outbox?.refused(entry.id, (e as MemoryError).code);
        this.logger.warn(`transaction log: ${entry.op} ${entry.id} refused on re-send: ${(e as MemoryError).code} ${(e as Error).message}`);
        return;
      }
      throw e;
    }
  }

  async stream(op: string, body: object, onItem: (item: unknown) => void, o: CallOptions = {}): Promise<void> {
    const headers: CallHeaders = { sessionId: o.session?.sessionId, sessionToken: o.session?.sessionToken };
    // A stream is retried only before its first item: after that, a retry would repeat items.
    let delivered = false;
    await this.withRetries(op, () =>
      this.transport.stream(op, body, headers, (item) => {
        delivered = true;
        onItem(item);
      }, o.timeoutMs),
      o.signal,
      () => !delivered,
    );
  }

  private async withRetries<T>(op: string, attempt: () => Promise<T>, signal?: AbortSignal, mayRetry: () => boolean = () => true): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await untilAborted(attempt(), signal, givenUp(op, signal!));
      } catch (e) {
        if (!(e instanceof MemoryError) || !e.retryable || n >= this.policy.maxRetries || !mayRetry() || signal?.aborted) throw e;
        const delay = retryDelayMs(this.policy, this.jitterKey(), n);
        this.onRetry(op, n, delay, e);
        await pause(delay, signal);
        // The reason for giving up is the failure that made us wait, not the abort itself.
        if (signal?.aborted) throw e;
      }
    }
  }
}
