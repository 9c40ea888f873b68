import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiagLogLevel, diag, type DiagLogger } from '@opentelemetry/api';
import { W3CTraceContextPropagator, setGlobalErrorHandler } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { VERSION, type TracingConfig } from '@memsidecar/config';
import { StdoutSpanExporter } from './stdout-span-exporter';

export interface TracingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL; traces go to its `/v1/traces`, as the OTLP spec says. */
const otlpTracesUrl = (endpoint: string): string => `${endpoint.replace(/\/+$/, '')}/v1/traces`;

/**
 * The process's tracer provider, registered at boot when tracing is on; until then (and with
 * `exporter: none`) the OpenTelemetry API stays a no-op. Spans leave in batches off the request
 * path; graceful stop flushes them.
 */
export class Tracing {
  private constructor(private readonly provider: NodeTracerProvider | null) {}

  static start(config: TracingConfig, logger: TracingLogger): Tracing {
    if (config.exporter === 'none') return new Tracing(null);
    // Exporter trouble (collector down, a refused batch) goes to the service log; requests never fail over it.
    setGlobalErrorHandler((e) => logger.warn(`tracing: ${(e as Error)?.message ?? String(e)}`));
    diag.setLogger(diagLogger(logger), DiagLogLevel.WARN);
    const provider = new NodeTracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'memsidecar', [ATTR_SERVICE_VERSION]: VERSION, 'service.instance.id': `${hostname()}:${process.pid}` }),
      ),
      // A caller's sampling decision (the traceparent flag) wins, so a trace is whole or absent.
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      // One second, not the SDK's five: spans reach the collector promptly; a busy service fills a batch sooner anyway.
      spanProcessors: [new BatchSpanProcessor(exporterOf(config), { scheduledDelayMillis: 1000 })],
    });
    provider.register({ propagator: new W3CTraceContextPropagator() });
    const where = config.exporter === 'otlp' ? `OTLP/HTTP to ${otlpTracesUrl(config.otlpEndpoint)}` : 'stdout';
    logger.log(`tracing: spans to ${where}, sample ratio ${config.sampleRatio}`);
    return new Tracing(provider);
  }

  /**
   * Nest calls it once the listeners stopped and in-flight requests ended: their spans go out. A
   * collector that is down would hold the stop for the exporter's whole retry time, so the wait is bounded.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.provider) await Promise.race([this.provider.shutdown(), sleep(FLUSH_ON_STOP_MS, undefined, { ref: false })]);
  }
}

const FLUSH_ON_STOP_MS = 3_000;

/** The SDK's own warnings (a bad attribute, a full queue) in the service log. */
const diagLogger = (logger: TracingLogger): DiagLogger => {
  const line = (message: string, args: unknown[]) => `tracing: ${[message, ...args].join(' ')}`;
  const ignore = () => {};
  return { error: (m, ...a) => logger.error(line(m, a)), warn: (m, ...a) => logger.warn(line(m, a)), info: ignore, debug: ignore, verbose: ignore };
};

const exporterOf = (config: TracingConfig): SpanExporter =>
  config.exporter === 'otlp' ? new OTLPTraceExporter({ url: otlpTracesUrl(config.otlpEndpoint) }) : new StdoutSpanExporter();
