import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMicroseconds, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';

/**
 * Spans as JSON lines on stdout, `"log": "span"` telling them apart from the access log's
 * `"log": "access"` lines; `at` is when the span started. A batch is one write.
 */
export class StdoutSpanExporter implements SpanExporter {
  constructor(private readonly write: (lines: string) => void = (lines) => process.stdout.write(lines)) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.write(spans.map((span) => `${JSON.stringify(spanLine(span))}\n`).join(''));
    done({ code: ExportResultCode.SUCCESS });
  }

  async shutdown(): Promise<void> {}
}

const spanLine = (span: ReadableSpan) => ({
  at: new Date(hrTimeToMilliseconds(span.startTime)).toISOString(),
  log: 'span',
  name: span.name,
  kind: SpanKind[span.kind],
  traceId: span.spanContext().traceId,
  spanId: span.spanContext().spanId,
  parentSpanId: span.parentSpanContext?.spanId,
  ms: hrTimeToMicroseconds(span.duration) / 1e3,
  status: SpanStatusCode[span.status.code],
  statusMessage: span.status.message,
  attributes: span.attributes,
});
