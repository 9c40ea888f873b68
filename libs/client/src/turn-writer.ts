import { randomUUID } from 'node:crypto';
import { pause, settlesWithin } from './abort';
import { retryDelayMs } from './backoff';
import type { EpisodicAppendInput, EpisodicAppendResult } from './blocks';
import { isRefusal, type Caller } from './caller';
import type { ClientLogger, RetryPolicy } from './config';
import { MemoryError } from './errors';

/** One turn as stored: `payload.turns[i]` of a `turns` event. */
export interface RecordedTurn {
  /** 1, 2, 3, ... within its session. */
  index: number;
  user: string;
  assistant: string;
  at: string;
  metadata?: Record<string, string>;
}

/**
 * Turns to be written as one `episodic.append`. Everything that says where they belong (session,
 * lineage, indices) is fixed when the batch is made, so nothing that happens later — a session
 * switch, more turns — can move them.
 */
export interface TurnBatch {
  ns: string;
  sessionId: string;
  parentSessionId?: string;
  turns: RecordedTurn[];
}

/** A write that did not happen; with a transaction log it stays there to be sent on the next start. */
export interface AbandonedWrite {
  op: string;
  sessionId?: string;
  turns?: number;
  error?: string;
}

const APPEND = 'episodic.append';

/** The `episodic.append` body of a batch; its `dedupKey` makes a repeat of the same turns a no-op. */
export function appendBodyOf(batch: TurnBatch): EpisodicAppendInput {
  const first = batch.turns[0].index;
  const last = batch.turns[batch.turns.length - 1].index;
  return {
    ns: batch.ns,
    type: 'turns',
    sessionId: batch.sessionId,
    payload: { turns: batch.turns },
    // Metadata values are strings on the wire.
    metadata: { ...(batch.parentSessionId ? { parentSessionId: batch.parentSessionId } : {}), firstTurn: String(first), lastTurn: String(last) },
    dedupKey: `${batch.sessionId}:turns:${first}-${last}`,
  };
}

/**
 * One writer per recorder: batches are written strictly one after another in the order they were
 * queued, never two at once, so turn N lands before turn N+1 and a switch's flush lands behind
 * what the old session still had queued. A batch is journaled the moment it is queued. A write
 * that fails for want of the service is tried again (same request id) until it lands, is refused,
 * or `abandon` is called; a refused one is reported, not retried.
 */
export class TurnWriter {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private readonly giveUp = new AbortController();
  private readonly notWritten: AbandonedWrite[] = [];

  constructor(
    private readonly caller: Caller,
    private readonly policy: RetryPolicy,
    private readonly logger: ClientLogger,
  ) {}

  /** Batches queued or being written. */
  get pending(): number {
    return this.queued;
  }

  /** Writes that were refused or abandoned so far. */
  get abandoned(): AbandonedWrite[] {
    return [...this.notWritten];
  }

  /** Queues a batch behind everything queued before it; resolves whether it was written. */
  enqueue(batch: TurnBatch): Promise<boolean> {
    const body = appendBodyOf(batch);
    const requestId = randomUUID();
    this.caller.journal(APPEND, body, requestId);
    this.queued++;
    const written = this.tail.then(() => this.write(batch, body, requestId)).finally(() => this.queued--);
    this.tail = written.then(() => undefined);
    return written;
  }

  /** Whether everything queued so far was settled (written, refused or abandoned) within `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    return settlesWithin(this.tail, timeoutMs);
  }

  /** Stops writing: the write in flight and everything queued behind it are reported as abandoned. */
  async abandon(reason: string): Promise<void> {
    this.giveUp.abort(new Error(reason));
    await this.tail;
  }

  private async write(batch: TurnBatch, body: EpisodicAppendInput, requestId: string): Promise<boolean> {
    const signal = this.giveUp.signal;
    let lastError: Error | null = null;
    for (let round = 0; !signal.aborted; round++) {
      try {
        const reply = await this.caller.call<EpisodicAppendResult>(APPEND, body, { requestId, signal });
        if (reply.deduplicated) {
          this.logger.warn(`turns ${body.dedupKey} were already stored by an earlier write; if this session was resumed, start its turn index after the turns it has (firstTurnIndex)`);
        }
        return true;
      } catch (e) {
        lastError = e as Error;
        // A refusal would be refused again, and a failure that is not the service's is a bug: neither is retried.
        if (isRefusal(e) || !(e instanceof MemoryError)) {
          this.logger.warn(`turns ${body.dedupKey} of session ${batch.sessionId} could not be written: ${lastError.message}`);
          break;
        }
        if (signal.aborted) break;
        if (round === 0) this.logger.warn(`turns ${body.dedupKey} of session ${batch.sessionId}: ${lastError.message}; trying again until it lands`);
        // The caller already spent its own retries; keep growing the pause from there.
        await pause(retryDelayMs(this.policy, batch.sessionId, this.policy.maxRetries + round), signal);
      }
    }
    this.notWritten.push({
      op: APPEND,
      sessionId: batch.sessionId,
      turns: batch.turns.length,
      error: lastError ? lastError.message : `not sent: ${reasonOf(signal)}`,
    });
    return false;
  }
}

const reasonOf = (signal: AbortSignal): string => (signal.reason instanceof Error ? signal.reason.message : 'abandoned');
