import { beforeAll, describe, expect, it } from 'vitest';
import type { NatsTestClient } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/**
 * The graph block through the running service: NATS request/reply and the HTTP gateway, with the
 * walk on the system Postgres. Its behaviour (validity, neighbours, every clamp of the walk, deletes,
 * bad input, a rebuild) is specified in process on PGlite and Postgres (test/in-process/graph.*);
 * replay and verify of a log holding graph events are in test/log-tools.e2e.spec.ts.
 */
describe('graph - end to end over NATS and HTTP', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_GRAPH_MAX_DEPTH: '3' });
  let client: NatsTestClient;

  beforeAll(async () => {
    client = f.client;
  });

  it('upserts a small graph, walks it as it was and as it is, and deletes a node with its edges', async () => {
    const written = await client.ok('graph.upsert', {
      ns: 'org',
      nodes: [{ id: 'alice', labels: ['person'] }, { id: 'acme', labels: ['company'] }, { id: 'globex', labels: ['company'] }, { id: 'berlin', labels: ['city'] }],
      edges: [
        { id: 'w1', type: 'works_at', from: 'alice', to: 'acme', validFrom: '2020-01-01T00:00:00Z' },
        { id: 'h1', type: 'based_in', from: 'globex', to: 'berlin', validFrom: '2000-01-01T00:00:00Z' },
      ],
    });
    expect(written).toMatchObject({ nodes: [{ id: 'alice', version: 1 }, {}, {}, {}], edges: [{ id: 'w1', version: 1 }, { id: 'h1', version: 1 }], closed: [] });
    const moved = await client.ok('graph.upsert', { ns: 'org', edges: [{ id: 'w2', type: 'works_at', from: 'alice', to: 'globex', validFrom: '2024-01-01T00:00:00Z', supersedes: 'w1' }] });
    expect(moved.closed).toEqual(['w1']);

    const walk = (body: Record<string, unknown>) => client.ok('graph.traverse', { ns: 'org', startId: 'alice', minSeq: moved.seq, ...body });
    const now = await walk({ depth: 10 });
    expect(now.nodes.map((n: { id: string; depth: number }) => [n.id, n.depth])).toEqual([['alice', 0], ['globex', 1], ['berlin', 2]]);
    expect(now.limits).toEqual({ depth: 3, maxNodes: 100, fanOut: 50 });
    expect(now.truncated).toEqual({ depth: false, nodes: false, fanOut: false });
    const then = await walk({ asOf: '2022-06-01T00:00:00Z' });
    expect(then.nodes.map((n: { id: string }) => n.id)).toEqual(['alice', 'acme']);

    const over = await fetch(`${f.service.httpUrl}/v1/graph/neighbors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${f.service.adminToken()}` },
      body: JSON.stringify({ ns: 'org', id: 'globex', direction: 'in' }),
    });
    expect(over.status).toBe(200);
    expect(((await over.json()) as { neighbors: unknown[] }).neighbors).toMatchObject([{ direction: 'in', edge: { id: 'w2', validFrom: '2024-01-01T00:00:00.000Z' }, node: { id: 'alice', labels: ['person'] } }]);

    const refused = await client.call('graph.delete', { ns: 'org', nodeIds: ['globex'] });
    expect(refused).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', details: { field: 'nodeIds' } } });
    const deleted = await client.ok('graph.delete', { ns: 'org', nodeIds: ['globex'], cascade: true });
    expect(deleted).toEqual({ nodes: ['globex'], edges: ['h1', 'w2'], seq: expect.any(Number) });
    expect(await client.ok('graph.neighbors', { ns: 'org', id: 'alice', minSeq: deleted.seq })).toEqual({ neighbors: [], truncated: false });
  });
});
