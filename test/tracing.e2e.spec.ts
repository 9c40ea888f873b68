import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { createInbox, headers, type Msg } from '@nats-io/transport-node';
import { loadPackageDefinition } from '@memsidecar/grpc';
import { waitFor } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/** A span as the stand-in collector received it, attributes flattened. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status: { code?: number; message?: string };
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

/** OTLP's span kind and status codes, as they appear in OTLP/JSON. */
const SPAN_KIND_SERVER = 2;
const STATUS_CODE_ERROR = 2;

type OtlpAttribute = { key: string; value: Record<string, unknown> };
const flatten = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map(({ key, value }) => [key, Object.values(value)[0]]));

/** A stand-in OpenTelemetry collector: OTLP/HTTP with JSON bodies on `/v1/traces`. */
async function startOtlpReceiver(): Promise<{ endpoint: string; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
        res.writeHead(415).end();
        return;
      }
      for (const rs of JSON.parse(body).resourceSpans ?? []) {
        const resource = flatten(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? []) spans.push({ ...s, parentSpanId: s.parentSpanId || undefined, status: s.status ?? {}, attributes: flatten(s.attributes), resource });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A caller's span: a fresh trace id and span id, and the sampled `traceparent` that names them. */
const callerSpan = () => {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
};

const BOT = { tenant: 'acme', agent: 'bot-1', namespaces: ['kv/*', 'episodic/*'], ops: ['kv.*', 'episodic.*'], tokenId: 'bot-token-1' };

describe('tracing - spans over OTLP/HTTP, with the caller as parent', () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  // Filled in before the fixture's own beforeAll starts the service: the receiver's port is known only then.
  const env: Record<string, string> = { MEMSIDECAR_TRACING: 'otlp' };
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    env.MEMSIDECAR_TRACING_ENDPOINT = receiver.endpoint;
  });
  const f = serviceFixture('postgres', env);
  afterAll(async () => receiver?.close());

  let botToken: string;
  beforeAll(() => {
    botToken = f.service.token(BOT);
  });

  /** The spans of one trace once its server span arrived (the service exports in batches). */
  const traceOf = async (traceId: string) => {
    const spans = () => receiver.spans.filter((s) => s.traceId === traceId);
    await waitFor(async () => spans(), (found) => found.some((s) => s.kind === SPAN_KIND_SERVER), 15_000);
    const server = spans().find((s) => s.kind === SPAN_KIND_SERVER);
    if (!server) throw new Error(`no server span of trace ${traceId} arrived; received: ${receiver.spans.map((s) => s.name).join(', ')}`);
    return { server, children: spans().filter((s) => s.parentSpanId === server.spanId) };
  };

  it('a NATS request with traceparent: a server span named after the op, with who asked and how it ended', async () => {
    const caller = callerSpan();
    const reply = await f.client.call('kv.put', { ns: 'traced', key: 'k', value: 1 }, { token: botToken, headers: { traceparent: caller.traceparent } });
    expect(reply.ok).toBe(true);
    const { server, children } = await traceOf(caller.traceId);
    expect(server).toMatchObject({ name: 'kv.put', parentSpanId: caller.spanId });
    expect(server.attributes).toMatchObject({
      'memsidecar.transport': 'nats',
      'memsidecar.op': 'kv.put',
      'memsidecar.tenant': 'acme',
      'memsidecar.agent': 'bot-1',
      'memsidecar.token_id': 'bot-token-1',
      'memsidecar.ns': 'traced',
      'memsidecar.code': 'OK',
    });
    expect(server.status.code).not.toBe(STATUS_CODE_ERROR);
    expect(server.resource['service.name']).toBe('memsidecar');
    const append = children.find((s) => s.name === 'jetstream.publish');
    expect(append?.attributes).toMatchObject({ 'messaging.system': 'nats', 'memsidecar.event_type': 'kv.value_set' });
    expect(Number(append?.attributes['memsidecar.seq'])).toBe(reply.body.seq);
    const access = f.service.logs.split('\n').find((l) => l.includes('"log":"access"') && l.includes(caller.traceId));
    expect(JSON.parse(access!)).toMatchObject({ op: 'kv.put', traceId: caller.traceId, spanId: server.spanId });
  });

  it('a read has its query as a child span', async () => {
    const caller = callerSpan();
    await f.client.ok('kv.get', { ns: 'traced', key: 'k' }, { token: botToken, headers: { traceparent: caller.traceparent } });
    const { server, children } = await traceOf(caller.traceId);
    expect(server.name).toBe('kv.get');
    expect(children.find((s) => s.name === 'db.query')?.attributes['db.query.text']).toMatch(/SELECT/i);
  });

  it('a fire-and-forget request is traced the same way', async () => {
    const caller = callerSpan();
    const h = headers();
    h.set('Authorization', `Bearer ${botToken}`);
    h.set('traceparent', caller.traceparent);
    f.client.nc.publish('mem.v1.kv.put', JSON.stringify({ ns: 'traced', key: 'fire', value: 2 }), { headers: h });
    const { server } = await traceOf(caller.traceId);
    expect(server).toMatchObject({ name: 'kv.put', parentSpanId: caller.spanId });
    expect(server.attributes).toMatchObject({ 'memsidecar.transport': 'nats', 'memsidecar.code': 'OK' });
  });

  it('a gRPC call with traceparent metadata', async () => {
    const loaded = grpc.loadPackageDefinition(loadPackageDefinition()) as any;
    const kv = new loaded.memsidecar.kv.v1.Kv(f.service.grpcAddr, grpc.credentials.createInsecure());
    const caller = callerSpan();
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${botToken}`);
    md.set('traceparent', caller.traceparent);
    try {
      await new Promise((resolve, reject) => kv.get({ ns: 'traced', key: 'k' }, md, (e: Error | null, reply: unknown) => (e ? reject(e) : resolve(reply))));
    } finally {
      kv.close();
    }
    const { server } = await traceOf(caller.traceId);
    expect(server).toMatchObject({ name: 'kv.get', parentSpanId: caller.spanId });
    expect(server.attributes).toMatchObject({ 'memsidecar.transport': 'grpc', 'memsidecar.tenant': 'acme', 'memsidecar.agent': 'bot-1', 'memsidecar.token_id': 'bot-token-1', 'memsidecar.code': 'OK' });
  });

  it('an HTTP gateway call with a traceparent header', async () => {
    const caller = callerSpan();
    const res = await fetch(`${f.service.httpUrl}/v1/kv/get`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, traceparent: caller.traceparent, 'content-type': 'application/json' },
      body: JSON.stringify({ ns: 'traced', key: 'k' }),
    });
    expect(res.status).toBe(200);
    const { server } = await traceOf(caller.traceId);
    expect(server).toMatchObject({ name: 'kv.get', parentSpanId: caller.spanId });
    expect(server.attributes).toMatchObject({ 'memsidecar.transport': 'http', 'memsidecar.tenant': 'acme', 'memsidecar.code': 'OK' });
  });

  it('a failed request is a span with status ERROR and the contract code', async () => {
    const caller = callerSpan();
    const reply = await f.client.call('kv.put', { ns: 'traced', key: 'k', value: 3, ifVersion: 99 }, { token: botToken, headers: { traceparent: caller.traceparent } });
    expect(reply.error?.reason).toBe('VERSION_MISMATCH');
    const { server } = await traceOf(caller.traceId);
    expect(server.status).toMatchObject({ code: STATUS_CODE_ERROR, message: expect.stringMatching(/^FAILED_PRECONDITION\/VERSION_MISMATCH: /) });
    expect(server.attributes).toMatchObject({ 'memsidecar.code': 'FAILED_PRECONDITION', 'memsidecar.reason': 'VERSION_MISMATCH', 'memsidecar.tenant': 'acme' });
  });

  it('a refused token still gives a span, with the code and without an identity', async () => {
    const caller = callerSpan();
    const reply = await f.client.call('kv.get', { ns: 'traced', key: 'k' }, { token: 'not-a-token', headers: { traceparent: caller.traceparent } });
    expect(reply.error?.code).toBe('UNAUTHENTICATED');
    const { server } = await traceOf(caller.traceId);
    expect(server.status.code).toBe(STATUS_CODE_ERROR);
    expect(server.attributes['memsidecar.code']).toBe('UNAUTHENTICATED');
    expect(server.attributes['memsidecar.tenant']).toBeUndefined();
  });

  it('every message of a NATS stream carries the traceparent of the request span', async () => {
    await f.client.ok('episodic.append', { ns: 'traced', type: 'note' }, { token: botToken });
    const caller = callerSpan();
    const inbox = createInbox();
    const sub = f.client.nc.subscribe(inbox);
    const h = headers();
    h.set('Authorization', `Bearer ${botToken}`);
    h.set('traceparent', caller.traceparent);
    f.client.nc.publish('mem.v1.episodic.tail', JSON.stringify({ ns: 'traced', afterCursor: 0, maxEvents: 1, maxMs: 5_000 }), { headers: h, reply: inbox });
    const messages: Msg[] = [];
    for await (const m of sub) {
      messages.push(m);
      if (m.headers?.get('Mem-End') === 'true') break;
    }
    const { server } = await traceOf(caller.traceId);
    expect(server.name).toBe('episodic.tail');
    expect(messages.length).toBeGreaterThanOrEqual(2);
    for (const m of messages) expect(m.headers?.get('traceparent')).toBe(`00-${caller.traceId}-${server.spanId}-01`);
  });
});

describe('tracing - spans as JSON lines on stdout', () => {
  // Sample ratio 0: only a caller's sampled traceparent makes a request recorded.
  const f = serviceFixture('postgres', { MEMSIDECAR_TRACING: 'stdout', MEMSIDECAR_TRACING_SAMPLE_RATIO: '0' });
  const lines = (kind: string) =>
    f.service.logs
      .split('\n')
      .filter((l) => l.startsWith('{') && l.includes(`"log":"${kind}"`))
      .map((l) => JSON.parse(l));

  it('writes span lines apart from the access log, and ties the access line to its span', async () => {
    const caller = callerSpan();
    await f.client.ok('kv.put', { ns: 'stdout', key: 'k', value: 1 }, { headers: { traceparent: caller.traceparent } });
    const spans = await waitFor(async () => lines('span').filter((l) => l.traceId === caller.traceId), (found) => found.some((l) => l.kind === 'SERVER'), 15_000);
    const server = spans.find((l) => l.kind === 'SERVER');
    expect(server).toMatchObject({ name: 'kv.put', parentSpanId: caller.spanId, attributes: { 'memsidecar.op': 'kv.put', 'memsidecar.code': 'OK' } });
    expect(spans.some((l) => l.name === 'jetstream.publish' && l.parentSpanId === server.spanId)).toBe(true);
    expect(lines('access').find((l) => l.traceId === caller.traceId)).toMatchObject({ op: 'kv.put', spanId: server.spanId });
  });

  it('records no span for a request the sampler left out, yet logs its trace id', async () => {
    await f.client.ok('kv.put', { ns: 'stdout', key: 'unsampled', value: 1 });
    // A sampled request after it: once its span is out, any span of the first one would be too.
    const caller = callerSpan();
    await f.client.ok('kv.get', { ns: 'stdout', key: 'unsampled' }, { headers: { traceparent: caller.traceparent } });
    await waitFor(async () => lines('span'), (spans) => spans.some((l) => l.traceId === caller.traceId && l.kind === 'SERVER'), 15_000);
    const access = lines('access').filter((l) => l.op === 'kv.put' && l.ns === 'stdout').at(-1);
    expect(access?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(lines('span').filter((l) => l.traceId === access.traceId)).toEqual([]);
  });

  it('flushes the spans of the last requests on a graceful stop', async () => {
    const caller = callerSpan();
    await f.client.ok('kv.get', { ns: 'stdout', key: 'k' }, { headers: { traceparent: caller.traceparent } });
    expect(await f.service.stop()).toBe(0);
    expect(lines('span').some((l) => l.traceId === caller.traceId && l.kind === 'SERVER')).toBe(true);
  });
});
