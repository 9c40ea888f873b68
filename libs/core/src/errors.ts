/** Transport-neutral error codes of the wire contract (CONTRACT §2). */
export const ErrorCodes = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  FAILED_PRECONDITION: 412,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export type ErrorReason =
  | 'VERSION_MISMATCH'
  | 'LEASE_HELD'
  | 'NOT_HOLDER'
  | 'SESSION_CLOSED'
  | 'DIGEST_MISMATCH'
  | 'CONTENTION'
  | (string & {});

export interface ErrorBody {
  code: ErrorCode;
  reason?: ErrorReason;
  message: string;
  details?: Record<string, unknown>;
}

/** The one error type services throw; each transport maps it with its own small mapper. */
export class MemError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: ErrorReason,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'MemError';
  }

  get status(): number {
    return ErrorCodes[this.code];
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.reason) body.reason = this.reason;
    if (this.details) body.details = this.details;
    return body;
  }
}

export const invalidArgument = (field: string, problem: string): MemError =>
  new MemError('INVALID_ARGUMENT', `${field}: ${problem}`, undefined, { field });

export const failedPrecondition = (reason: ErrorReason, message: string, details?: Record<string, unknown>): MemError =>
  new MemError('FAILED_PRECONDITION', message, reason, details);

export const isMemError = (e: unknown): e is MemError => e instanceof MemError;

/** A `Mem-Request-Id` that already named a different change: its original result cannot answer this one. */
export const requestIdReused = (): MemError =>
  new MemError('INVALID_ARGUMENT', 'Mem-Request-Id: already used for a different operation', undefined, { field: 'Mem-Request-Id' });
