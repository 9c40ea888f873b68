import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphBlock } from '@memsidecar/graph';
import { AppliedRequest, BOOKKEEPING_MIGRATIONS, Database, ProjectionCheckpoint, ProjectionRunner } from '@memsidecar/projections';
import { createTestDatabase, type InProcessService } from '@memsidecar/testing';
import type { InProcessCases, InProcessDatabase } from '../support/in-process';

/** Configured maxima the clamping cases check, and a policy that caps walks in `graph/capped`. */
const GRAPH_CONFIG = `
graph:
  maxDepth: 4
  nodesLimit: 50
  maxFanOut: 20
policy:
  default: allow
  rules:
    - name: shallow-walks
      effect: cap
      match: { ops: ['graph.traverse'], namespaces: ['graph/capped'] }
      caps: { depth: 2, maxNodes: 5, fanOut: 3 }
`;

/** The environment of a service whose config file holds the settings these cases expect. */
export function graphEnv(): Record<string, string> {
  const configFile = join(mkdtempSync(join(tmpdir(), 'memsidecar-graph-')), 'memsidecar.yaml');
  writeFileSync(configFile, GRAPH_CONFIG);
  return { MEMSIDECAR_CONFIG: configFile };
}

const ids = (items: { id: string }[]) => items.map((i) => i.id);

/** Both read-model tables as comparable rows. */
async function graphRows(db: Database) {
  return {
    nodes: await db.query(`SELECT * FROM graph_nodes ORDER BY tenant, ns, id`),
    edges: await db.query(`SELECT * FROM graph_edges ORDER BY tenant, ns, id`),
  };
}

/** The graph read model projected from the whole log into a fresh database, twice over. */
async function rebuiltRows(svc: InProcessService, database: InProcessDatabase) {
  const pg = database === 'postgres' ? await createTestDatabase() : undefined;
  const db = await Database.open({
    url: pg?.url,
    pgliteDir: 'memory://',
    entities: [ProjectionCheckpoint, AppliedRequest, ...graphBlock.entities],
    migrations: [...BOOKKEEPING_MIGRATIONS, ...graphBlock.migrations],
  });
  try {
    const quiet = { log: () => {}, warn: () => {}, error: () => {} };
    const once = async () => {
      const runner = new ProjectionRunner(graphBlock.projections[0], svc.log, db, quiet);
      await runner.start();
      await runner.catchUp(30_000);
      await runner.stop();
    };
    await once();
    const first = await graphRows(db);
    await db.query(`DELETE FROM mem_checkpoints`);
    await once();
    return { first, second: await graphRows(db) };
  } finally {
    await db.close();
    await pg?.drop();
  }
}

/**
 * graph's behaviour through the dispatcher, the runtime and the read model, in one process over
 * the in-memory log, on a manual clock; declared on PGlite (graph.spec.ts) and on the system
 * Postgres (graph.int.spec.ts), where the recursive walk must give the same answers.
 */
export const graphCases =
  (database: InProcessDatabase): InProcessCases =>
  (service) => {
    let svc: InProcessService;
    const upsert = (ns: string, body: Record<string, unknown>) => svc.ok('graph.upsert', { ns, ...body });
    const neighbors = (ns: string, body: Record<string, unknown>) => svc.ok('graph.neighbors', { ns, ...body });
    const traverse = (ns: string, body: Record<string, unknown>) => svc.ok('graph.traverse', { ns, ...body });

    /** a → b, a → c, b → d, c → d, d → a (a cycle), d → e: edges named by their ends. */
    const WALK_EDGES = [['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd'], ['d', 'a'], ['d', 'e']].map(([from, to]) => ({ id: `${from}${to}`, type: 'link', from, to }));

    beforeAll(async () => {
      svc = service();
      for (const ns of ['walk', 'capped']) await upsert(ns, { nodes: ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id })), edges: WALK_EDGES });
    });

    describe('upsert and get', () => {
      it('round-trips nodes and edges with versions and provenance; a re-upsert replaces them whole', async () => {
        const first = await svc.when('graph.upsert', {
          ns: 'people',
          nodes: [{ id: 'ada', labels: ['person'], props: { name: 'Ada', born: 1815 } }, { id: 'charles', labels: ['person'] }],
          edges: [{ id: 'k1', type: 'knows', from: 'ada', to: 'charles', props: { since: 1833 } }, { type: 'knows', from: 'charles', to: 'ada' }],
        });
        expect(first.body).toEqual({ nodes: [{ id: 'ada', version: 1 }, { id: 'charles', version: 1 }], edges: [{ id: 'k1', version: 1 }, { id: expect.any(String), version: 1 }], closed: [], seq: first.events[0].seq });
        expect(first.events).toMatchObject([{ type: 'graph.upserted', block: 'graph', ns: 'people', entity: '_graph' }]);
        const generated = first.body.edges[1].id;
        const got = await svc.ok('graph.get', { ns: 'people', nodeIds: ['charles', 'nobody', 'ada'], edgeIds: [generated, 'k1'] });
        expect(ids(got.nodes)).toEqual(['charles', 'ada']);
        expect(got.nodes[1]).toEqual({
          id: 'ada', labels: ['person'], props: { name: 'Ada', born: 1815 }, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String),
          provenance: expect.objectContaining({ seq: first.body.seq, agent: expect.any(String) }),
        });
        expect(ids(got.edges)).toEqual([generated, 'k1']);
        expect(got.edges[1]).toMatchObject({ type: 'knows', from: 'ada', to: 'charles', props: { since: 1833 }, validTo: null, supersedes: null, version: 1, provenance: { seq: first.body.seq } });

        const created = got.nodes[1].createdAt;
        await svc.clock.advance(1000);
        const second = await upsert('people', { nodes: [{ id: 'ada', props: { name: 'Ada Lovelace' } }] });
        expect(second.nodes).toEqual([{ id: 'ada', version: 2 }]);
        const [ada] = (await svc.ok('graph.get', { ns: 'people', nodeIds: ['ada'], minSeq: second.seq })).nodes;
        expect(ada).toMatchObject({ labels: [], props: { name: 'Ada Lovelace' }, version: 2, createdAt: created, provenance: { seq: second.seq } });
        expect(ada.updatedAt > created).toBe(true);
      });

      it('keeps derivedFrom in the provenance of every item of the upsert', async () => {
        const source = await upsert('derived', { nodes: [{ id: 'note' }] });
        const derived = await upsert('derived', { nodes: [{ id: 'summary' }], edges: [{ id: 'from-note', type: 'summarises', from: 'summary', to: 'note' }], derivedFrom: [source.seq] });
        const got = await svc.ok('graph.get', { ns: 'derived', nodeIds: ['summary'], edgeIds: ['from-note'] });
        expect(got.nodes[0].provenance).toMatchObject({ seq: derived.seq, derivedFrom: [source.seq] });
        expect(got.edges[0].provenance).toMatchObject({ seq: derived.seq, derivedFrom: [source.seq] });
        expect(await svc.when('graph.upsert', { ns: 'derived', nodes: [{ id: 'x' }], derivedFrom: [999_999] })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'derivedFrom' } } });
      });

      it('refuses an edge to a node that does not exist, naming its end, and appends nothing', async () => {
        const refused = await svc.when('graph.upsert', { ns: 'people', nodes: [{ id: 'new' }], edges: [{ type: 'knows', from: 'new', to: 'ghost' }] });
        expect(refused).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', details: { field: 'edges[0].to' } }, events: [] });
        expect((await svc.ok('graph.get', { ns: 'people', nodeIds: ['new'] })).nodes).toEqual([]);
      });
    });

    describe('validity', () => {
      it("a superseding edge closes the old one at its validFrom; neighbors and traverse follow what was valid asOf", async () => {
        await upsert('career', { nodes: [{ id: 'alice' }, { id: 'acme', labels: ['company'] }, { id: 'globex', labels: ['company'] }] });
        await upsert('career', { edges: [{ id: 'w1', type: 'works_at', from: 'alice', to: 'acme', validFrom: '2020-01-01T00:00:00Z' }] });
        const moved = await upsert('career', { edges: [{ id: 'w2', type: 'works_at', from: 'alice', to: 'globex', validFrom: '2023-01-01T00:00:00Z', supersedes: 'w1' }] });
        expect(moved.closed).toEqual(['w1']);
        const { edges } = await svc.ok('graph.get', { ns: 'career', edgeIds: ['w1', 'w2'] });
        expect(edges).toMatchObject([{ id: 'w1', validTo: '2023-01-01T00:00:00.000Z' }, { id: 'w2', validTo: null, supersedes: 'w1' }]);

        const employer = async (asOf?: string) => (await neighbors('career', { id: 'alice', direction: 'out', ...(asOf ? { asOf } : {}) })).neighbors.map((n: { node: { id: string } }) => n.node.id);
        expect(await employer('2021-06-01T00:00:00Z')).toEqual(['acme']);
        expect(await employer('2023-01-01T00:00:00Z')).toEqual(['globex']);
        expect(await employer('2019-01-01T00:00:00Z')).toEqual([]);
        expect(await employer()).toEqual(['globex']);
        expect(ids((await traverse('career', { startId: 'alice', asOf: '2021-06-01T00:00:00Z' })).nodes)).toEqual(['alice', 'acme']);
        expect(ids((await traverse('career', { startId: 'alice' })).nodes)).toEqual(['alice', 'globex']);
      });

      it('an edge valid only later is not followed now', async () => {
        const future = new Date(svc.clock.now().getTime() + 86_400_000).toISOString();
        await upsert('career', { edges: [{ id: 'w3', type: 'works_at', from: 'alice', to: 'acme', validFrom: future }] });
        expect(ids((await traverse('career', { startId: 'alice' })).edges)).toEqual(['w2']);
        expect(ids((await traverse('career', { startId: 'alice', asOf: future })).edges)).toEqual(['w2', 'w3']);
      });
    });

    describe('neighbors', () => {
      beforeAll(async () => {
        await upsert('star', {
          nodes: [{ id: 'hub' }, { id: 'n1', labels: ['doc'] }, { id: 'n2' }, { id: 'n3', labels: ['doc'] }, { id: 'n4', labels: ['doc'] }],
          edges: [
            { id: 'e1', type: 'links', from: 'hub', to: 'n1' },
            { id: 'e2', type: 'links', from: 'hub', to: 'n2' },
            { id: 'e3', type: 'mentions', from: 'hub', to: 'n3' },
            { id: 'e4', type: 'cites', from: 'n4', to: 'hub' },
          ],
        });
      });
      const edgeIds = (r: { neighbors: { edge: { id: string } }[] }) => r.neighbors.map((n) => n.edge.id);

      it('lists both directions by edge id, each with its direction, edge and node', async () => {
        const all = await neighbors('star', { id: 'hub' });
        expect(all.truncated).toBe(false);
        expect(all.neighbors.map((n: any) => [n.direction, n.edge.id, n.node.id])).toEqual([['out', 'e1', 'n1'], ['out', 'e2', 'n2'], ['out', 'e3', 'n3'], ['in', 'e4', 'n4']]);
        expect(all.neighbors[0].node).toMatchObject({ id: 'n1', labels: ['doc'], version: 1, provenance: { seq: expect.any(Number) } });
        expect(edgeIds(await neighbors('star', { id: 'hub', direction: 'in' }))).toEqual(['e4']);
        expect(edgeIds(await neighbors('star', { id: 'hub', direction: 'out' }))).toEqual(['e1', 'e2', 'e3']);
      });

      it('filters by edge type and node label, and says when the limit cut the list', async () => {
        expect(edgeIds(await neighbors('star', { id: 'hub', edgeTypes: ['links', 'cites'] }))).toEqual(['e1', 'e2', 'e4']);
        expect(edgeIds(await neighbors('star', { id: 'hub', nodeLabels: ['doc'] }))).toEqual(['e1', 'e3', 'e4']);
        expect(await neighbors('star', { id: 'hub', limit: 2 })).toMatchObject({ truncated: true, neighbors: [{ edge: { id: 'e1' } }, { edge: { id: 'e2' } }] });
        expect((await neighbors('star', { id: 'hub', limit: 4 })).truncated).toBe(false);
      });

      it('answers an empty list for a node that does not exist', async () => {
        expect(await neighbors('star', { id: 'nobody' })).toEqual({ neighbors: [], truncated: false });
      });
    });

    describe('traverse', () => {
      const walk = (body: Record<string, unknown>) => traverse('walk', { startId: 'a', ...body });
      const depths = (r: { nodes: { id: string; depth: number }[] }) => r.nodes.map((n) => `${n.id}${n.depth}`);
      const untruncated = { depth: false, nodes: false, fanOut: false };

      it('walks breadth-first: the start, then by depth and id, each node once across a cycle, with every edge followed', async () => {
        const all = await walk({ depth: 3 });
        expect(depths(all)).toEqual(['a0', 'b1', 'c1', 'd2', 'e3']);
        expect(ids(all.edges)).toEqual(['ab', 'ac', 'bd', 'cd', 'da', 'de']);
        expect(all.truncated).toEqual(untruncated);
        // The default of 100 nodes is over the configured 50.
        expect(all.limits).toEqual({ depth: 3, maxNodes: 50, fanOut: 20 });
        expect(all.nodes[0]).toMatchObject({ id: 'a', depth: 0, labels: [], props: {}, version: 1 });
      });

      it('goes against the edges with direction in, and both ways with both', async () => {
        expect(depths(await traverse('walk', { startId: 'e', direction: 'in', depth: 2 }))).toEqual(['e0', 'd1', 'b2', 'c2']);
        expect(depths(await traverse('walk', { startId: 'e', direction: 'both', depth: 1 }))).toEqual(['e0', 'd1']);
        expect(depths(await traverse('walk', { startId: 'b', direction: 'both', depth: 2 }))).toEqual(['b0', 'a1', 'd1', 'c2', 'e2']);
      });

      it('follows only the edge types asked for', async () => {
        await upsert('walk', { edges: [{ id: 'ax', type: 'other', from: 'a', to: 'e' }] });
        expect(depths(await walk({ depth: 1 }))).toEqual(['a0', 'b1', 'c1', 'e1']);
        expect(depths(await walk({ depth: 1, edgeTypes: ['link'] }))).toEqual(['a0', 'b1', 'c1']);
        await svc.ok('graph.delete', { ns: 'walk', edgeIds: ['ax'] });
      });

      it('says which limit cut the walk: depth, nodes or fan-out', async () => {
        const shallow = await walk({ depth: 1 });
        expect(depths(shallow)).toEqual(['a0', 'b1', 'c1']);
        expect(ids(shallow.edges)).toEqual(['ab', 'ac']);
        expect(shallow.truncated).toEqual({ ...untruncated, depth: true });
        // Depth 2 reaches d, whose edges lead to e (not reached) and back to a.
        expect((await walk({ depth: 2 })).truncated).toEqual({ ...untruncated, depth: true });

        const few = await walk({ depth: 3, maxNodes: 2 });
        expect(depths(few)).toEqual(['a0', 'b1']);
        expect(ids(few.edges)).toEqual(['ab']);
        expect(few.truncated).toEqual({ ...untruncated, nodes: true });
        expect((await walk({ depth: 3, maxNodes: 5 })).truncated).toEqual(untruncated);

        const narrow = await walk({ depth: 3, fanOut: 1 });
        expect(depths(narrow)).toEqual(['a0', 'b1', 'd2']);
        expect(ids(narrow.edges)).toEqual(['ab', 'bd', 'da']);
        expect(narrow.truncated).toEqual({ ...untruncated, fanOut: true });
      });

      it('clamps values above the configured maxima instead of refusing them', async () => {
        const wide = await walk({ depth: 99, maxNodes: 100_000, fanOut: 5000 });
        expect(wide.limits).toEqual({ depth: 4, maxNodes: 50, fanOut: 20 });
        expect(depths(wide)).toEqual(['a0', 'b1', 'c1', 'd2', 'e3']);
      });

      it('applies the policy caps: defaults within them, more is RESOURCE_EXHAUSTED naming the field', async () => {
        const capped = await traverse('capped', { startId: 'a' });
        expect(capped.limits).toEqual({ depth: 2, maxNodes: 5, fanOut: 3 });
        for (const [field, value] of [['depth', 3], ['maxNodes', 6], ['fanOut', 4]] as const) {
          expect(await svc.when('graph.traverse', { ns: 'capped', startId: 'a', [field]: value })).toMatchObject({
            ok: false,
            error: { code: 'RESOURCE_EXHAUSTED', reason: 'CAP_EXCEEDED', details: { field, cap: { depth: 2, maxNodes: 5, fanOut: 3 }[field] } },
          });
        }
        expect((await traverse('walk', { startId: 'a', depth: 3 })).limits.depth).toBe(3);
      });

      it('answers nothing for a start node that does not exist', async () => {
        expect(await traverse('walk', { startId: 'nobody' })).toEqual({ nodes: [], edges: [], truncated: untruncated, limits: { depth: 2, maxNodes: 50, fanOut: 20 } });
      });
    });

    describe('delete', () => {
      beforeAll(async () => {
        await upsert('pruning', { nodes: [{ id: 'x' }, { id: 'y' }, { id: 'z' }, { id: 'lonely' }], edges: [{ id: 'xy', type: 't', from: 'x', to: 'y' }, { id: 'zx', type: 't', from: 'z', to: 'x' }] });
      });
      const stored = async () => {
        const got = await svc.ok('graph.get', { ns: 'pruning', nodeIds: ['x', 'y', 'z', 'lonely'], edgeIds: ['xy', 'zx'] });
        return { nodes: ids(got.nodes), edges: ids(got.edges) };
      };

      it('refuses a node with edges without cascade as FAILED_PRECONDITION naming nodeIds, deleting nothing', async () => {
        const refused = await svc.when('graph.delete', { ns: 'pruning', nodeIds: ['lonely', 'x'] });
        expect(refused).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'NODE_HAS_EDGES', details: { field: 'nodeIds', id: 'x' } }, events: [] });
        expect(await stored()).toEqual({ nodes: ['x', 'y', 'z', 'lonely'], edges: ['xy', 'zx'] });
      });

      it('deletes a node without edges, edges by id, and a node with its edges by cascade', async () => {
        const lonely = await svc.when('graph.delete', { ns: 'pruning', nodeIds: ['lonely', 'missing'] });
        expect(lonely.body).toEqual({ nodes: ['lonely'], edges: [], seq: lonely.events[0].seq });
        expect(lonely.events).toMatchObject([{ type: 'graph.deleted', data: { nodeIds: ['lonely'], edgeIds: [] } }]);
        const cascade = await svc.ok('graph.delete', { ns: 'pruning', nodeIds: ['x'], cascade: true });
        expect(cascade).toEqual({ nodes: ['x'], edges: ['xy', 'zx'], seq: expect.any(Number) });
        expect(await stored()).toEqual({ nodes: ['y', 'z'], edges: [] });
        expect(await neighbors('pruning', { id: 'y' })).toEqual({ neighbors: [], truncated: false });
      });

      it('appends nothing when nothing named exists, and refuses a delete that names nothing', async () => {
        expect(await svc.when('graph.delete', { ns: 'pruning', nodeIds: ['missing'], edgeIds: ['gone'] })).toMatchObject({ ok: true, body: { nodes: [], edges: [] }, events: [] });
        expect(await svc.when('graph.delete', { ns: 'pruning' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'nodeIds' } }, events: [] });
      });
    });

    describe('bad input', () => {
      it.each([
        ['graph.upsert', 'nothing to upsert', { ns: 'bad' }, 'nodes'],
        ['graph.upsert', 'a bad node id', { ns: 'bad', nodes: [{ id: 'a b' }] }, 'nodes[0].id'],
        ['graph.upsert', 'a bad label', { ns: 'bad', nodes: [{ id: 'a', labels: ['ok', ''] }] }, 'nodes[0].labels'],
        ['graph.upsert', 'props that are not an object', { ns: 'bad', nodes: [{ id: 'a', props: [1, 2] }] }, 'nodes[0].props'],
        ['graph.upsert', 'an edge without a type', { ns: 'bad', nodes: [{ id: 'a' }], edges: [{ from: 'a', to: 'a' }] }, 'edges[0].type'],
        ['graph.upsert', 'a bad edge type', { ns: 'bad', nodes: [{ id: 'a' }], edges: [{ type: 'x'.repeat(65), from: 'a', to: 'a' }] }, 'edges[0].type'],
        ['graph.upsert', 'a malformed validFrom', { ns: 'bad', nodes: [{ id: 'a' }], edges: [{ type: 't', from: 'a', to: 'a', validFrom: 'yesterday' }] }, 'edges[0].validFrom'],
        ['graph.upsert', 'validTo before validFrom', { ns: 'bad', nodes: [{ id: 'a' }], edges: [{ type: 't', from: 'a', to: 'a', validFrom: '2026-01-02T00:00:00Z', validTo: '2026-01-01T00:00:00Z' }] }, 'edges[0].validTo'],
        ['graph.upsert', 'supersedes as a list', { ns: 'bad', nodes: [{ id: 'a' }], edges: [{ type: 't', from: 'a', to: 'a', supersedes: ['x'] }] }, 'edges[0].supersedes'],
        ['graph.upsert', 'an unknown field', { ns: 'bad', nodes: [{ id: 'a', colour: 'red' }] }, 'nodes[0].colour'],
        ['graph.get', 'a bad id', { ns: 'bad', nodeIds: ['a/b'] }, 'nodeIds'],
        ['graph.neighbors', 'an unknown direction', { ns: 'bad', id: 'a', direction: 'up' }, 'direction'],
        ['graph.neighbors', 'a limit over the maximum', { ns: 'bad', id: 'a', limit: 1001 }, 'limit'],
        ['graph.traverse', 'depth 0', { ns: 'bad', startId: 'a', depth: 0 }, 'depth'],
        ['graph.traverse', 'a fractional fan-out', { ns: 'bad', startId: 'a', fanOut: 1.5 }, 'fanOut'],
        ['graph.traverse', 'a missing start', { ns: 'bad' }, 'startId'],
        ['graph.delete', 'cascade as a string', { ns: 'bad', nodeIds: ['a'], cascade: 'yes' }, 'cascade'],
      ])('%s: %s is INVALID_ARGUMENT naming the field and appends nothing', async (op, _what, body, field) => {
        expect(await svc.when(op, body)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
      });
    });

    describe('rebuilt from the log', () => {
      it('projects the same rows into a fresh database, and again on a replay of the same events', async () => {
        await svc.readModels.ready('graph', svc.log.size);
        const live = await graphRows(svc.db);
        expect(live.edges.length).toBeGreaterThan(10);
        const { first, second } = await rebuiltRows(svc, database);
        expect(first).toEqual(live);
        expect(second).toEqual(live);
      });
    });
  };
