/** The contract's error codes (CONTRACT §2), as an agent sees them. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED';

/** An error reply of the service, or a transport failure mapped onto the same codes. */
export class MemoryError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: string,
    readonly details?: Record<string, unknown>,
    /** The operation that failed, e.g. `kv.put`. */
    readonly op?: string,
  ) {
    super(message);
    this.name = 'MemoryError';
  }

  /** Worth another attempt with the same request id: nothing was applied, or it will be applied once. */
  get retryable(): boolean {
    return this.code === 'UNAVAILABLE' && this.reason !== 'CONNECTION_CLOSED';
  }
}

/** The session a call was made in was closed or found orphaned (FAILED_PRECONDITION/SESSION_CLOSED). */
export class SessionClosedError extends MemoryError {
  constructor(
    readonly sessionId: string,
    message: string,
    op?: string,
  ) {
    super('FAILED_PRECONDITION', message, 'SESSION_CLOSED', { sessionId }, op);
    this.name = 'SessionClosedError';
  }
}

/** The client was shut down: it takes no more calls. */
export class ClientShutDownError extends Error {
  constructor(what: string) {
    super(`${what}: the memory client has been shut down`);
    this.name = 'ClientShutDownError';
  }
}

/** A client configuration that cannot be used; the message names the setting. */
export class ClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientConfigError';
  }
}

export const isSessionClosed = (e: unknown): boolean => e instanceof MemoryError && e.code === 'FAILED_PRECONDITION' && e.reason === 'SESSION_CLOSED';
