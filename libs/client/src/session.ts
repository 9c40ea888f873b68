import type { SessionCheckpointResult, SessionCloseInput, SessionHeartbeatResult, SessionOpenInput, SessionOpenResult } from './blocks';
import type { SessionBinding } from './caller';
import type { ClientLogger, SessionDefaults } from './config';
import { MemoryError, SessionClosedError, isSessionClosed } from './errors';
import type { MemoryClient } from './memory-client';

/** What `openSession` takes: the contract's `session.open`; heartbeat settings default to the client config. */
export type OpenSessionInput = Omit<SessionOpenInput, 'timeoutMs'>;

type EndListener = (reason: string) => void;

/**
 * An open session on the service, kept alive by heartbeats until it is closed. Pass it as
 * `{ session }` to any call to tie the call to it. Once the client learns the session ended (closed
 * here, or a heartbeat or a call answered SESSION_CLOSED because it was orphaned or closed
 * elsewhere), every later call in it throws `SessionClosedError` at once, without a round trip.
 */
export class Session implements SessionBinding {
  private ended: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private beating = false;
  private heartbeatsStopped = new AbortController();
  private closing: Promise<true> | null = null;
  private readonly endListeners: EndListener[] = [];
  private expiry: string;

  private constructor(
    private readonly client: MemoryClient,
    private readonly logger: ClientLogger,
    opened: SessionOpenResult,
    /** The session this one continues (branch, compression, resume), if any. */
    readonly parentSessionId: string | undefined,
  ) {
    this.sessionId = opened.sessionId;
    this.sessionToken = opened.sessionToken;
    this.heartbeatIntervalMs = opened.heartbeatIntervalMs;
    this.heartbeatTimeoutMs = opened.heartbeatTimeoutMs;
    this.expiry = opened.expiresAt;
  }

  readonly sessionId: string;
  readonly sessionToken: string;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;

  /**
   * Opens a session. Heartbeat interval, timeout and `onOrphan` come from the client config unless
   * `input` sets them; `parentSessionId` records lineage.
   */
  static async open(client: MemoryClient, input: OpenSessionInput, defaults: SessionDefaults, logger: ClientLogger): Promise<Session> {
    const body: SessionOpenInput = {
      ...input,
      heartbeatIntervalMs: input.heartbeatIntervalMs ?? defaults.heartbeatIntervalMs,
      heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? defaults.heartbeatTimeoutMs,
      onOrphan: input.onOrphan ?? defaults.onOrphan,
    };
    const opened = await openOnce(client, body);
    for (const w of opened.warnings) logger.warn(`session.open ${opened.sessionId}: ${w}`);
    const session = new Session(client, logger, opened, input.parentSessionId);
    session.startHeartbeats();
    return session;
  }

  /** Why the session is over ("was closed", "was closed or orphaned on the service (...)"), or null while it is open. */
  get endedReason(): string | null {
    return this.ended;
  }

  /** When the service will find the session orphaned unless a heartbeat arrives first. */
  get expiresAt(): string {
    return this.expiry;
  }

  /** Saves the agent's state on the service; a checkpoint also counts as a heartbeat. */
  async checkpoint(state: unknown, turn?: number): Promise<SessionCheckpointResult> {
    const body = { sessionId: this.sessionId, sessionToken: this.sessionToken, state, ...(turn !== undefined ? { turn } : {}) };
    return this.client.call<SessionCheckpointResult>('session.checkpoint', body, { session: this });
  }

  /**
   * Closes the session; the service writes the final checkpoint (`state`, else the last one) and
   * releases the session's leases. Resolves `true`; closing again returns the same result. If the
   * session had already ended elsewhere, rejects with `SessionClosedError`. `signal` bounds the
   * wait (shutdown uses it); a close that failed for want of the service can be tried again, and
   * the heartbeats keep the session alive meanwhile.
   */
  close(state?: unknown, o: { signal?: AbortSignal } = {}): Promise<true> {
    if (this.closing) return this.closing;
    if (this.ended) return Promise.reject(new SessionClosedError(this.sessionId, `session ${this.sessionId} ${this.ended}`, 'session.close'));
    const closing = this.runClose(state, o.signal);
    this.closing = closing;
    closing.catch(() => {
      if (this.closing === closing) this.closing = null;
    });
    return closing;
  }

  /** Stops the heartbeats without closing: the service will find the session orphaned after its timeout. */
  stopHeartbeats(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.heartbeatsStopped.abort(new Error('heartbeats stopped'));
  }

  /** Calls `listener` once with the reason when the session ends (at once if it already has). Returns an unsubscribe function. */
  onEnd(listener: EndListener): () => void {
    if (this.ended) {
      const reason = this.ended;
      queueMicrotask(() => listener(reason));
      return () => undefined;
    }
    this.endListeners.push(listener);
    return () => {
      const i = this.endListeners.indexOf(listener);
      if (i >= 0) this.endListeners.splice(i, 1);
    };
  }

  /** Part of `SessionBinding`: a call in this session was answered SESSION_CLOSED. */
  markEnded(reason: string): void {
    if (this.ended) return;
    this.ended = reason;
    this.stopHeartbeats();
    for (const listener of this.endListeners.splice(0)) {
      try {
        listener(reason);
      } catch (e) {
        this.logger.warn(`session ${this.sessionId}: an onEnd listener failed: ${(e as Error).message}`);
      }
    }
  }

  private startHeartbeats(): void {
    this.timer = setInterval(() => void this.beat(), this.heartbeatIntervalMs);
    // Heartbeats alone must not keep an agent's process alive.
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    // One heartbeat at a time: a slow one is not stacked with the next.
    if (this.beating || this.ended) return;
    this.beating = true;
    const signal = this.heartbeatsStopped.signal;
    try {
      const beat = await this.client.caller.call<SessionHeartbeatResult>('session.heartbeat', { sessionId: this.sessionId, sessionToken: this.sessionToken }, { signal });
      this.expiry = beat.expiresAt;
    } catch (e) {
      if (isSessionClosed(e)) this.markEnded(`was closed or orphaned on the service (${(e as Error).message})`);
      else if (!signal.aborted) this.logger.warn(`session ${this.sessionId}: heartbeat failed, next one in ${this.heartbeatIntervalMs} ms: ${(e as Error).message}`);
    } finally {
      this.beating = false;
    }
  }

  private async runClose(state: unknown, signal: AbortSignal | undefined): Promise<true> {
    const body: SessionCloseInput = { sessionId: this.sessionId, sessionToken: this.sessionToken, ...(state !== undefined ? { state } : {}) };
    try {
      // Through the caller, not the client: shutdown closes sessions after the client stopped taking calls.
      await this.client.caller.call('session.close', body, { signal });
    } catch (e) {
      if (!isSessionClosed(e)) throw e;
      this.markEnded(`was closed or orphaned on the service (${(e as Error).message})`);
      throw new SessionClosedError(this.sessionId, (e as Error).message, 'session.close');
    }
    this.markEnded('was closed');
    return true;
  }
}

/**
 * `session.open` with one more try under a fresh request id when the first attempt was applied but
 * its reply lost: the service cannot hand out that token again (it keeps only its hash).
 */
async function openOnce(client: MemoryClient, body: SessionOpenInput): Promise<SessionOpenResult> {
  try {
    return await client.call<SessionOpenResult>('session.open', body);
  } catch (e) {
    if (!(e instanceof MemoryError) || !isSessionClosed(e)) throw e;
    return client.call<SessionOpenResult>('session.open', body);
  }
}
