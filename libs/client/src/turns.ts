import type { SemanticSearchResult } from './blocks';
import type { ClientLogger } from './config';
import { ClientConfigError, ClientShutDownError } from './errors';
import { LatestRecall } from './latest-recall';
import type { MemoryClient } from './memory-client';
import { TurnWriter, type AbandonedWrite, type RecordedTurn, type TurnBatch } from './turn-writer';

export type { AbandonedWrite, RecordedTurn } from './turn-writer';

/** One exchange of a conversation. */
export interface Turn {
  user: string;
  assistant: string;
  /** When it happened; now when absent. */
  at?: Date | string;
  metadata?: Record<string, string>;
}

export interface RecallContext {
  /** The session the recall is for: its result never reaches another one. */
  sessionId: string;
  client: MemoryClient;
  /** Aborts when the result can no longer be used (a session switch, shutdown). */
  signal: AbortSignal;
}

export interface TurnRecorderOptions<T = SemanticSearchResult> {
  /** Episodic namespace the turns go to (and, by default, the semantic namespace recalled from). */
  ns: string;
  sessionId: string;
  /** Lineage of the session: the one it branched or continued from. */
  parentSessionId?: string;
  /** Turns per write; default 1. */
  retainEveryNTurns?: number;
  /** Index of the first turn recorded (default 1); to resume a session that already has turns. */
  firstTurnIndex?: number;
  /** The recall behind `queuePrefetch`; default `semantic.search` on `ns`, top 5. */
  recall?: (query: string, context: RecallContext) => Promise<T>;
}

export interface SwitchOptions {
  /** Lineage of the new session; none when absent. */
  parentSessionId?: string;
  /** Why (new, reset, resume, branch, compression): passed on to `onSessionSwitch` listeners. */
  reason?: string;
  /** Index of the new session's first turn (default 1); set it when resuming a session that has turns. */
  firstTurnIndex?: number;
}

export interface SessionSwitch {
  previousSessionId: string;
  sessionId: string;
  parentSessionId?: string;
  reason?: string;
}

export interface TurnRecorderStopReport {
  /** Buffered turns written by the final flush. */
  flushedTurns: number;
  /** Writes refused or not completed by the deadline. */
  abandoned: AbandonedWrite[];
}

const DEFAULT_PREFETCH_WAIT_MS = 3_000;

/**
 * Records an agent's turns into episodic memory and prefetches recall for its next model call,
 * across session switches and shutdown, without losing or misplacing a turn:
 *
 * - turns are buffered and written every `retainEveryNTurns` as one `episodic.append` of type
 *   `turns`, through one FIFO writer (in order, never concurrently);
 * - `switchSession` queues the flush of what is buffered under the OLD session and lineage, behind
 *   any write still pending, before it rotates to the new session;
 * - a prefetch started before a switch can never deliver into the new session, and of two
 *   prefetches the newer wins;
 * - `stop` (from `client.shutdown`) flushes the buffer exactly once and drains the writer within
 *   a deadline, reporting what it could not write.
 */
export class TurnRecorder<T = SemanticSearchResult> {
  private current: { sessionId: string; parentSessionId?: string };
  private buffer: RecordedTurn[] = [];
  private nextIndex: number;
  private readonly everyN: number;
  private readonly writer: TurnWriter;
  private readonly recallLatest: LatestRecall<T>;
  private readonly recall: (query: string, context: RecallContext) => Promise<T>;
  private readonly switchListeners: ((change: SessionSwitch) => void)[] = [];
  private stopping: Promise<TurnRecorderStopReport> | null = null;

  constructor(
    private readonly client: MemoryClient,
    private readonly options: TurnRecorderOptions<T>,
    private readonly logger: ClientLogger,
  ) {
    this.everyN = options.retainEveryNTurns ?? 1;
    if (!Number.isInteger(this.everyN) || this.everyN < 1) throw new ClientConfigError(`turns: retainEveryNTurns must be a whole number of at least 1, not ${options.retainEveryNTurns}`);
    this.current = { sessionId: options.sessionId, parentSessionId: options.parentSessionId };
    this.nextIndex = firstIndex(options.firstTurnIndex);
    this.writer = new TurnWriter(client.caller, client.config.retryPolicy, logger);
    this.recallLatest = new LatestRecall<T>(logger);
    this.recall = options.recall ?? ((query, { client: c }) => c.call<T>('semantic.search', { ns: options.ns, queryText: query, topK: 5 }));
  }

  get sessionId(): string {
    return this.current.sessionId;
  }

  get parentSessionId(): string | undefined {
    return this.current.parentSessionId;
  }

  /** Turns recorded but not yet queued for writing. */
  get bufferedTurns(): number {
    return this.buffer.length;
  }

  /** The index the next recorded turn gets. */
  get nextTurnIndex(): number {
    return this.nextIndex;
  }

  /** Batches queued or being written. */
  get pendingWrites(): number {
    return this.writer.pending;
  }

  /** Buffers a turn of the current session and returns its index; every N turns the buffer is queued for writing. */
  recordTurn(turn: Turn): number {
    this.assertTakingInput('turns.recordTurn');
    const at = turn.at === undefined ? new Date().toISOString() : new Date(turn.at).toISOString();
    const recorded: RecordedTurn = { index: this.nextIndex++, user: turn.user, assistant: turn.assistant, at, ...(turn.metadata ? { metadata: turn.metadata } : {}) };
    this.buffer.push(recorded);
    if (this.buffer.length >= this.everyN) this.queueBuffer();
    return recorded.index;
  }

  /** Queues whatever is buffered now, without waiting for N turns. */
  flush(): void {
    this.assertTakingInput('turns.flush');
    this.queueBuffer();
  }

  /**
   * Moves to another session. What is buffered is queued for writing under the OLD session id and
   * lineage, behind anything still pending; prefetches started before now are fenced off; then
   * the new session starts with an empty buffer at turn `firstTurnIndex` (1). Returns once the
   * flush is queued: `drain` waits for it to land.
   */
  switchSession(sessionId: string, o: SwitchOptions = {}): void {
    this.assertTakingInput('turns.switchSession');
    const previousSessionId = this.current.sessionId;
    if (sessionId === previousSessionId) throw new ClientConfigError(`turns.switchSession: already in session ${sessionId}`);
    const nextIndex = firstIndex(o.firstTurnIndex);
    this.queueBuffer();
    this.recallLatest.fence(`session switched from ${previousSessionId} to ${sessionId}`);
    this.current = { sessionId, parentSessionId: o.parentSessionId };
    this.nextIndex = nextIndex;
    const change: SessionSwitch = { previousSessionId, sessionId, parentSessionId: o.parentSessionId, reason: o.reason };
    for (const listener of [...this.switchListeners]) {
      try {
        listener(change);
      } catch (e) {
        this.logger.warn(`turns: an onSessionSwitch listener failed: ${(e as Error).message}`);
      }
    }
  }

  /** Calls `listener` after every switch. Returns an unsubscribe function. */
  onSessionSwitch(listener: (change: SessionSwitch) => void): () => void {
    this.switchListeners.push(listener);
    return () => {
      const i = this.switchListeners.indexOf(listener);
      if (i >= 0) this.switchListeners.splice(i, 1);
    };
  }

  /** Starts recall for the next model call in the background (typically with the finished turn's text). */
  queuePrefetch(query: string): void {
    this.assertTakingInput('turns.queuePrefetch');
    const sessionId = this.current.sessionId;
    this.recallLatest.start((signal) => this.recall(query, { sessionId, client: this.client, signal }), `for session ${sessionId}`);
  }

  /**
   * The newest prefetched result for the current session, or null; taking it clears it. Waits up
   * to `waitMs` (default 3000) for the newest prefetch still running.
   */
  prefetch(o: { waitMs?: number } = {}): Promise<T | null> {
    return this.recallLatest.take(o.waitMs ?? DEFAULT_PREFETCH_WAIT_MS);
  }

  /** Whether every write queued so far settled within `timeoutMs`. The buffer is not flushed: see `flush`. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.writer.drain(timeoutMs);
  }

  /**
   * Stops taking turns and prefetches (later calls throw ClientShutDownError), queues the buffer
   * exactly once, and drains the writer until `deadline` (epoch ms); whatever is still unwritten
   * then is abandoned and reported, and stays in the transaction log if there is one. Calling it
   * again returns the same report.
   */
  stop(deadline: number): Promise<TurnRecorderStopReport> {
    this.stopping ??= this.runStop(deadline);
    return this.stopping;
  }

  private async runStop(deadline: number): Promise<TurnRecorderStopReport> {
    this.recallLatest.fence('the memory client is shutting down');
    const finalTurns = this.buffer.length;
    const finalWrite = this.queueBuffer();
    if (!(await this.writer.drain(deadline - Date.now()))) await this.writer.abandon('shutdown deadline reached');
    const flushed = finalWrite ? await finalWrite : false;
    return { flushedTurns: flushed ? finalTurns : 0, abandoned: this.writer.abandoned };
  }

  /** Snapshots the buffer with the session it belongs to, and queues it. */
  private queueBuffer(): Promise<boolean> | null {
    if (this.buffer.length === 0) return null;
    const batch: TurnBatch = { ns: this.options.ns, sessionId: this.current.sessionId, parentSessionId: this.current.parentSessionId, turns: this.buffer };
    // Queued (and journaled) first: if the transaction log cannot be written, the turns stay buffered.
    const written = this.writer.enqueue(batch);
    this.buffer = [];
    return written;
  }

  private assertTakingInput(what: string): void {
    if (this.stopping) throw new ClientShutDownError(what);
  }
}

function firstIndex(given: number | undefined): number {
  if (given === undefined) return 1;
  if (!Number.isInteger(given) || given < 1) throw new ClientConfigError(`turns: firstTurnIndex must be a whole number of at least 1, not ${given}`);
  return given;
}
