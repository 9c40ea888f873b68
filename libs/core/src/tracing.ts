import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

/**
 * The service's one tracer. It is the OpenTelemetry API alone: until the service registers a
 * tracer provider (tracing on), every span is a no-op, so libraries and tests pay nothing.
 */
export const tracer = trace.getTracer('memsidecar');

/**
 * Runs `work` in a child span of the request being traced. Outside a recorded request (projection
 * batches, background workers, unsampled requests) it runs `work` alone, so a trace is always one
 * request and untraced work creates no spans.
 */
export function inChildSpan<T>(name: string, attributes: Attributes, work: (span?: Span) => Promise<T>): Promise<T> {
  if (!trace.getActiveSpan()?.isRecording()) return work();
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (e) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message ?? String(e) });
      throw e;
    } finally {
      span.end();
    }
  });
}
