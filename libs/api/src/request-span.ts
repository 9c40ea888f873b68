import { ROOT_CONTEXT, SpanKind, SpanStatusCode, isSpanContextValid, propagation, trace, type Context, type Span } from '@opentelemetry/api';
import { tracer, type MemError } from '@memsidecar/core';
import type { Outcome, RequestHeaders } from './dispatcher';

/**
 * The caller's trace context, from its W3C `traceparent`/`tracestate`. Only those two reach the
 * propagator, never the token. A malformed `traceparent` is ignored and the request starts a new
 * trace, as the W3C recommendation asks, rather than failing a request over its telemetry.
 */
const callerTraceContext = (headers: RequestHeaders): Context =>
  propagation.extract(ROOT_CONTEXT, { traceparent: headers.traceparent, tracestate: headers.tracestate });

/** The server span of one request, named after its op, child of the caller's span when it sent one. */
export function startRequestSpan(op: string, headers: RequestHeaders, transport: string): { span: Span; context: Context } {
  const parent = callerTraceContext(headers);
  const span = tracer.startSpan(op, { kind: SpanKind.SERVER, attributes: { 'memsidecar.transport': transport, 'memsidecar.op': op } }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Trace and span id for the access log; none while tracing is off (the span is a no-op then). */
export function traceIds(span: Span): Pick<Outcome, 'traceId' | 'spanId'> {
  const context = span.spanContext();
  return isSpanContextValid(context) ? { traceId: context.traceId, spanId: context.spanId } : {};
}

/** A failed request's span is an error, whatever the code: the caller did not get what it asked for. */
export function recordFailure(span: Span, error: MemError): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.code}${error.reason ? `/${error.reason}` : ''}: ${error.message}` });
  const errorId = error.details?.errorId;
  if (typeof errorId === 'string') span.setAttribute('memsidecar.error_id', errorId);
}

/** Puts on the span what the access log says of the request (who, where, how it ended), then ends it. */
export function endRequestSpan(span: Span, o: Outcome): void {
  if (span.isRecording())
    span.setAttributes({
      'memsidecar.tenant': o.tenant,
      'memsidecar.agent': o.agent,
      'memsidecar.token_id': o.tokenId,
      'memsidecar.ns': o.ns,
      'memsidecar.request_id': o.requestId,
      'memsidecar.session_id': o.sessionId,
      'memsidecar.code': o.code,
      'memsidecar.reason': o.reason,
    });
  span.end();
}
