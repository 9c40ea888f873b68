import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { NatsTestClient } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/** Every code a reply may carry; INTERNAL would mean a bug. */
/**
 * Requests per property, of a fixed seed. 400 reach every operation and every field of the valid
 * bodies many times over; `FUZZ_RUNS=3000` (or more) is the long run before a release.
 */
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 400);

const CONTRACT_CODES = ['INVALID_ARGUMENT', 'UNAUTHENTICATED', 'PERMISSION_DENIED', 'NOT_FOUND', 'FAILED_PRECONDITION', 'RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED'];

/** Values that break naive handlers: wrong types, unicode edge cases, subject and path tricks, depth, size. */
const nasty = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 63), NaN, '', ' ', '\u0000', '\ud800', '🙂', 'a.b.>', '*', '>', '$SYS.x', '../../etc/passwd', '..', '.', 'a/b', '%2e%2e', 'x'.repeat(70_000)),
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 4 }),
  fc.constant(JSON.parse('{"__proto__":{"polluted":1}}')),
  fc.constant(Array.from({ length: 1 }).reduce((v: unknown) => v, (function deep(n: number): unknown { return n ? [deep(n - 1)] : 1; })(2000))),
);

const FIELDS = ['ns', 'key', 'keys', 'value', 'ttlMs', 'ifVersion', 'metadata', 'type', 'payload', 'limit', 'afterCursor', 'id', 'ids', 'data', 'records', 'queryText', 'queryVector', 'content', 'scope', 'sessionId', 'sessionToken', 'holderId', 'uploadId', 'action', 'maxRows', 'filter', 'predicates', 'turn', 'message', 'query'];

const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...FIELDS), nasty, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc.constantFrom('{', '[]', 'null', '"x"', '{"ns":', '\u0000', '{"ns":"a"}'.repeat(3)),
  fc.string(),
);

/** A valid request per operation; the second property breaks one field of it at a time. */
const VALID: Record<string, Record<string, unknown>> = {
  'kv.put': { ns: 'f', key: 'k', value: 1 },
  'kv.get': { ns: 'f', key: 'k' },
  'kv.mget': { ns: 'f', keys: ['k'] },
  'kv.delete': { ns: 'f', key: 'k' },
  'kv.list': { ns: 'f' },
  'episodic.append': { ns: 'f', type: 't' },
  'episodic.range': { ns: 'f' },
  'episodic.expire': { ns: 'f', beforeCursor: 2, action: 'soft', maxRows: 1 },
  'semantic.upsert': { ns: 'f', records: [{ content: 'x' }] },
  'semantic.search': { ns: 'f', queryText: 'x' },
  'semantic.delete': { ns: 'f', ids: ['a'] },
  'semantic.expire': { ns: 'f', filter: {}, action: 'soft', maxRows: 1 },
  'lease.acquire': { ns: 'f', key: 'k', ttlMs: 1000 },
  'lease.renew': { ns: 'f', key: 'k', holderId: 'h' },
  'lease.release': { ns: 'f', key: 'k', holderId: 'h' },
  'lease.inspect': { ns: 'f', key: 'k' },
  'lease.list': { ns: 'f' },
  'session.open': {},
  'session.heartbeat': { sessionId: 's', sessionToken: 't' },
  'session.checkpoint': { sessionId: 's', sessionToken: 't' },
  'session.close': { sessionId: 's', sessionToken: 't' },
  'session.get': { sessionId: 's' },
  'facts.write': { content: 'D[a]: b' },
  'facts.search': { query: 'a' },
  'facts.tick': { sessionId: 's', turn: 1, message: 'm' },
  'facts.status': {},
  'facts.reflect': { topic: 'a' },
  'facts.export': {},
  'facts.purge': {},
  'artifact.put': { ns: 'f', data: 'aGk=' },
  'artifact.get': { ns: 'f', id: 'a' },
  'artifact.stat': { ns: 'f', id: 'a' },
  'artifact.delete': { ns: 'f', id: 'a' },
  'artifact.list': { ns: 'f' },
  'artifact.upload.begin': { ns: 'f' },
  'artifact.upload.append': { uploadId: 'f.x', data: 'aGk=' },
  'artifact.upload.commit': { uploadId: 'f.x' },
  'graph.upsert': { ns: 'f', nodes: [{ id: 'a', labels: ['l'], props: { p: 1 } }], edges: [{ type: 't', from: 'a', to: 'a', validFrom: '2025-01-01T00:00:00Z' }] },
  'graph.get': { ns: 'f', nodeIds: ['a'], edgeIds: ['e'] },
  'graph.neighbors': { ns: 'f', id: 'a', direction: 'both', edgeTypes: ['t'], nodeLabels: ['l'], limit: 10, asOf: '2026-01-01T00:00:00Z' },
  'graph.traverse': { ns: 'f', startId: 'a', direction: 'out', depth: 2, maxNodes: 10, fanOut: 5, edgeTypes: ['t'] },
  'graph.delete': { ns: 'f', nodeIds: ['b'], edgeIds: ['e'], cascade: true },
  'audit.query': { ns: 'f', fromSeq: 1, since: '2025-01-01T00:00:00Z', until: '2099-01-01T00:00:00Z', block: 'kv', agent: 'a', sessionId: 's', types: ['kv.*'], limit: 10 },
};

describe('hostile input - every operation answers with a contract error and changes nothing', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing', MEMSIDECAR_READ_WAIT_MS: '300' });
  let client: NatsTestClient;
  let operations: string[] = [];
  beforeAll(async () => {
    client = f.client;
    const info = JSON.parse((await client.nc.request('$SRV.INFO.memsidecar', '', { timeout: 2000 })).string());
    operations = info.endpoints.map((e: { subject: string }) => e.subject.replace(/^mem\.v1\./, '')).filter((op: string) => !['episodic.tail', 'artifact.read'].includes(op));
  });

  const lastSeq = async () => (await (await jetstreamManager(client.nc)).streams.info('MEMSIDECAR')).state.last_seq;
  let requests = 0;

  /** Sends one request with its own Mem-Request-Id; a failed one must have appended no event carrying that id. */
  async function attempt(op: string, payload: string): Promise<void> {
    const requestId = `fuzz-${++requests}`;
    const before = await lastSeq();
    const h = headers();
    h.set('Authorization', `Bearer ${f.service.adminToken()}`);
    h.set('Mem-Request-Id', requestId);
    const msg = await client.nc.request(`mem.v1.${op}`, payload, { timeout: 10_000, headers: h });
    const reply = JSON.parse(msg.string());
    if (!msg.headers?.get('Nats-Service-Error-Code')) return;
    expect(CONTRACT_CODES, `${op} ${payload.slice(0, 200)} -> ${JSON.stringify(reply)}`).toContain(reply.error.code);
    // Background workers (lease expiry, orphan detection) may append meanwhile; none of it may be this request's.
    const jsm = await jetstreamManager(client.nc);
    for (let seq = before + 1; seq <= (await lastSeq()); seq++) {
      const stored = await jsm.direct.getMessage('MEMSIDECAR', { seq });
      expect(stored && JSON.parse(stored.string()).requestId, `${op} appended an event although it failed`).not.toBe(requestId);
    }
  }

  it('fuzzes every operation (fixed seed)', async () => {
    expect(operations.length).toBeGreaterThan(30);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), body, attempt),
      { seed: 20261122, numRuns: FUZZ_RUNS, endOnFailure: true },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(VALID)), fc.nat(), nasty, async (op, pick, value) => {
        const valid = VALID[op];
        const fields = Object.keys(valid).length ? Object.keys(valid) : ['ns'];
        await attempt(op, JSON.stringify({ ...valid, [fields[pick % fields.length]]: value }));
      }),
      { seed: 20261123, numRuns: FUZZ_RUNS, endOnFailure: true },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await fetch(`${f.service.httpUrl}/healthz`)).status).toBe(200);
  }, 300_000);
});
