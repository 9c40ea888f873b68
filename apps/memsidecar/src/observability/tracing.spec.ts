import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Metadata } from '@grpc/grpc-js';
import { headers, type Msg } from '@nats-io/transport-node';
import { SpanKind, SpanStatusCode, context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import type { Request } from 'express';
import { IsString } from 'class-validator';
import { inChildSpan, systemClock } from '@memsidecar/core';
import { Authenticator, Dispatcher, operation, type Outcome, type RequestHeaders } from '@memsidecar/api';
import { natsHeaders } from '../transports/nats-api';
import { grpcHeaders } from '../transports/grpc/grpc-api';
import { httpHeaders } from '../http/request-headers';
import { StdoutSpanExporter } from './stdout-span-exporter';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`;

class ProbeInput {
  @IsString()
  ns!: string;
}

describe('tracing - trace context from every transport becomes the request span', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const outcomes: Outcome[] = [];
  const dispatcher = new Dispatcher(new Authenticator('none', []), systemClock, { observe: (o) => outcomes.push(o), internalError: () => {} });
  dispatcher.register([
    operation<ProbeInput, { ok: boolean }>('kv', 'probe', { mutation: false, input: ProbeInput, handle: () => inChildSpan('probe.step', {}, async () => ({ ok: true })) }),
    operation<ProbeInput, never, number>('kv', 'probe.stream', {
      mutation: false,
      input: ProbeInput,
      stream: async (_input, _ctx, sink) => {
        await sink(1);
        await sink(2);
      },
    }),
  ]);
  const probe = (h: RequestHeaders) => dispatcher.dispatch('kv.probe', { ns: 'n' }, h, 'test');
  const requestSpan = () => exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;

  beforeAll(() => provider.register({ propagator: new W3CTraceContextPropagator() }));
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });
  beforeEach(() => {
    exporter.reset();
    outcomes.length = 0;
  });

  const expectChildOfCaller = () => {
    const span = requestSpan();
    expect(span.name).toBe('kv.probe');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(span.attributes).toMatchObject({ 'memsidecar.op': 'kv.probe', 'memsidecar.tenant': 'default', 'memsidecar.agent': 'anonymous', 'memsidecar.ns': 'n', 'memsidecar.code': 'OK' });
    expect(outcomes[0]).toMatchObject({ traceId: TRACE_ID, spanId: span.spanContext().spanId });
    return span;
  };

  it('takes traceparent from NATS headers, whatever their case', async () => {
    const h = headers();
    h.set('Traceparent', TRACEPARENT);
    await probe(natsHeaders({ headers: h } as unknown as Msg));
    expectChildOfCaller();
  });

  it('takes traceparent and tracestate from gRPC metadata', async () => {
    const md = new Metadata();
    md.set('traceparent', TRACEPARENT);
    md.set('tracestate', 'vendor=abc');
    await probe(grpcHeaders(md));
    expect(expectChildOfCaller().spanContext().traceState?.get('vendor')).toBe('abc');
  });

  it('takes traceparent from HTTP headers', async () => {
    await probe(httpHeaders({ headers: { traceparent: TRACEPARENT } } as unknown as Request));
    expectChildOfCaller();
  });

  it('starts a new trace when traceparent is absent or malformed, and serves the request all the same', async () => {
    for (const traceparent of [undefined, 'not-a-traceparent', `00-${'0'.repeat(32)}-${CALLER_SPAN_ID}-01`]) {
      exporter.reset();
      await expect(probe({ traceparent })).resolves.toEqual({ ok: true });
      const span = requestSpan();
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.spanContext().traceId).not.toBe(TRACE_ID);
    }
  });

  it('makes what the operation does a child of the request span', async () => {
    await probe({ traceparent: TRACEPARENT });
    const step = exporter.getFinishedSpans().find((s) => s.name === 'probe.step')!;
    expect(step.parentSpanContext?.spanId).toBe(requestSpan().spanContext().spanId);
  });

  it('records nothing for work outside a request', async () => {
    await inChildSpan('background', {}, async () => undefined);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('marks a failed request as an error with its code', async () => {
    await expect(dispatcher.dispatch('kv.probe', { ns: 7 }, { traceparent: TRACEPARENT }, 'test')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const span = requestSpan();
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.status.message).toMatch(/^INVALID_ARGUMENT: ns/);
    expect(span.attributes['memsidecar.code']).toBe('INVALID_ARGUMENT');
  });

  it('hands every streamed item and the end of the stream over inside the request span', async () => {
    const seen: (string | undefined)[] = [];
    const activeSpanId = () => trace.getActiveSpan()?.spanContext().spanId;
    await dispatcher.dispatchStream('kv.probe.stream', { ns: 'n' }, { traceparent: TRACEPARENT }, 'test', async () => void seen.push(activeSpanId()), () => void seen.push(activeSpanId()));
    expect(seen).toEqual(Array(3).fill(requestSpan().spanContext().spanId));
  });

  it('writes spans to stdout as JSON lines of their own', async () => {
    await probe({ traceparent: TRACEPARENT });
    let written = '';
    new StdoutSpanExporter((lines) => (written += lines)).export(exporter.getFinishedSpans(), () => {});
    const lines = written.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.name === 'kv.probe')).toMatchObject({ log: 'span', kind: 'SERVER', traceId: TRACE_ID, parentSpanId: CALLER_SPAN_ID, status: 'UNSET' });
  });
});
