import { context } from '@opentelemetry/api';
import { MemError, isMemError, newId, type Clock } from '@memsidecar/core';
import { allowsNamespace, allowsOp } from '@memsidecar/auth';
import { PolicyEngine } from '@memsidecar/policy';
import type { Authenticator } from './authenticator';
import type { Operation, RequestContext, StreamSink } from './operation';
import { endRequestSpan, recordFailure, startRequestSpan, traceIds } from './request-span';
import { MAX_DEPTH, assertDepth, parseBody, validateInput } from './validation';

/** Transport-level facts of one request, whatever carried it. */
export interface RequestHeaders {
  authorization?: string;
  requestId?: string;
  sessionId?: string;
  sessionToken?: string;
  /** W3C trace context of the caller, so the request's span joins the caller's trace. */
  traceparent?: string;
  tracestate?: string;
}

export type RequestBody = Uint8Array | string | Record<string, unknown> | undefined;

/** What one request came to, with who asked: metrics count it, the access log writes it. */
export interface Outcome {
  op: string;
  code: string;
  reason?: string;
  seconds: number;
  transport: string;
  /** Unset when the request failed before its token was verified. */
  tenant?: string;
  agent?: string;
  tokenId?: string;
  ns?: string;
  requestId?: string;
  sessionId?: string;
  /** The request's span, while tracing is on. */
  traceId?: string;
  spanId?: string;
}

export interface DispatchObserver {
  observe(outcome: Outcome): void;
  internalError(op: string, errorId: string, error: unknown): void;
}

/** One observer that tells each of `observers` in turn. */
export const allObservers = (...observers: DispatchObserver[]): DispatchObserver => ({
  observe: (outcome) => observers.forEach((o) => o.observe(outcome)),
  internalError: (op, errorId, error) => observers.forEach((o) => o.internalError(op, errorId, error)),
});

/** Checks that `Mem-Session-Id`/`Mem-Session-Token` name an open session of the tenant. */
export interface SessionGuard {
  verify(tenant: string, sessionId: string, sessionToken: string | undefined): Promise<void>;
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The one path every request takes, whatever the transport: authenticate, validate, authorize
 * (before anything is read, so existence never leaks), then run the operation.
 */
export class Dispatcher {
  private readonly operations = new Map<string, Operation>();
  private sessionGuard: SessionGuard | null = null;

  constructor(
    private readonly authenticator: Authenticator,
    private readonly clock: Clock,
    private readonly observer: DispatchObserver,
    private readonly policy: PolicyEngine = new PolicyEngine(),
  ) {}

  register(operations: Operation[]): void {
    for (const op of operations) {
      if (this.operations.has(op.name)) throw new Error(`operation ${op.name} registered twice`);
      this.operations.set(op.name, op);
    }
  }

  useSessionGuard(guard: SessionGuard): void {
    this.sessionGuard = guard;
  }

  get names(): string[] {
    return [...this.operations.keys()];
  }


  /** Runs one request; rejects with a MemError only (anything else becomes INTERNAL with an id). */
  dispatch(name: string, body: RequestBody, headers: RequestHeaders, transport: string): Promise<unknown> {
    return this.run(name, body, headers, transport, (op, input, ctx) => op.handle(input, ctx));
  }

  /**
   * Runs a streaming operation, handing each item to `sink`; errors before the first item reject.
   * `sink` and `end` (called after the last item) run in the request's trace context, so a
   * transport can tag every message of the stream with the request's span.
   */
  dispatchStream(name: string, body: RequestBody, headers: RequestHeaders, transport: string, sink: StreamSink, end?: () => void): Promise<void> {
    return this.run(name, body, headers, transport, async (op, input, ctx) => {
      if (!op.stream) throw new MemError('INVALID_ARGUMENT', `${name} is not a streaming operation`);
      await op.stream(input, ctx, context.bind(context.active(), sink));
      end?.();
    });
  }

  isStreaming(name: string): boolean {
    return this.operations.get(name)?.stream !== undefined;
  }

  private async run<T>(
    name: string,
    body: RequestBody,
    headers: RequestHeaders,
    transport: string,
    execute: (op: Operation, input: object, ctx: RequestContext) => Promise<T>,
  ): Promise<T> {
    const started = process.hrtime.bigint();
    const { span, context: traced } = startRequestSpan(name, headers, transport);
    const outcome: Outcome = { op: name, code: 'OK', seconds: 0, transport, requestId: headers.requestId, sessionId: headers.sessionId, ...traceIds(span) };
    try {
      const op = this.operations.get(name);
      if (!op) throw new MemError('NOT_FOUND', `unknown operation ${name}`);
      const now = this.clock.now();
      const principal = await this.authenticator.authenticate(headers.authorization, now);
      Object.assign(outcome, { tenant: principal.tenant, agent: principal.agent, tokenId: principal.tokenId || undefined });
      const ctx: RequestContext = { principal, now, transport, ...checkedHeaders(headers) };
      const input = validateInput(op.input, isPlainBody(body) ? checkedBody(body) : parseBody(body));
      const ns = op.namespace(input);
      outcome.ns = ns;
      authorize(ctx, op, ns);
      ctx.caps = this.policy.apply(
        { tenant: principal.tenant, agent: principal.agent, op: op.name, namespace: `${op.block}/${ns}`, transport, input, bodyBytes: () => bodySize(body) },
        now.getTime(),
      );
      // What touches the log or the read models runs in the span's context, to become its children.
      return await context.with(traced, async () => {
        if (ctx.sessionId) await this.verifySession(ctx);
        return execute(op, input, ctx);
      });
    } catch (e) {
      const error = this.toMemError(name, e);
      Object.assign(outcome, { code: error.code, reason: error.reason });
      recordFailure(span, error);
      throw error;
    } finally {
      outcome.seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.observer.observe(outcome);
      endRequestSpan(span, outcome);
    }
  }

  private async verifySession(ctx: RequestContext): Promise<void> {
    if (!this.sessionGuard) throw new MemError('FAILED_PRECONDITION', 'Mem-Session-Id: sessions are not served here', 'SESSION_CLOSED');
    await this.sessionGuard.verify(ctx.principal.tenant, ctx.sessionId!, ctx.sessionToken);
  }

  private toMemError(op: string, e: unknown): MemError {
    if (isMemError(e)) return e;
    const errorId = newId();
    this.observer.internalError(op, errorId, e);
    return new MemError('INTERNAL', `internal error ${errorId}`, undefined, { errorId });
  }

}

const bodySize = (body: RequestBody): number =>
  body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.length : Buffer.byteLength(JSON.stringify(body));

const checkedBody = (body: Record<string, unknown>): Record<string, unknown> => {
  assertDepth(body, MAX_DEPTH);
  return body;
};

const isPlainBody = (b: unknown): b is Record<string, unknown> =>
  b !== null && typeof b === 'object' && !(b instanceof Uint8Array) && !Array.isArray(b);

function checkedHeaders(h: RequestHeaders): Pick<RequestContext, 'requestId' | 'sessionId' | 'sessionToken'> {
  if (h.requestId !== undefined && !REQUEST_ID.test(h.requestId))
    throw new MemError('INVALID_ARGUMENT', 'Mem-Request-Id: must be 1-128 printable ASCII characters', undefined, { field: 'Mem-Request-Id' });
  if (h.sessionId !== undefined && !SESSION_ID.test(h.sessionId))
    throw new MemError('INVALID_ARGUMENT', 'Mem-Session-Id: must be 1-128 characters of [A-Za-z0-9_.:-]', undefined, { field: 'Mem-Session-Id' });
  return { requestId: h.requestId, sessionId: h.sessionId, sessionToken: h.sessionToken };
}

function authorize(ctx: RequestContext, op: Operation, ns: string): void {
  const cap = ctx.principal;
  if (!allowsOp(cap, op.scope)) throw new MemError('PERMISSION_DENIED', `token does not allow op ${op.scope}`, undefined, { op: op.scope });
  if (!allowsNamespace(cap, op.block, ns))
    throw new MemError('PERMISSION_DENIED', `token does not cover namespace ${op.block}/${ns}`, undefined, { ns: `${op.block}/${ns}` });
}
