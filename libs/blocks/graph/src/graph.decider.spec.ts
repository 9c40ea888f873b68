import { describe, expect, it } from 'vitest';
import { isMemError, type CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { graphDecider, type DeleteGraph, type EdgeInput, type UpsertGraph, type UpsertLookup } from './graph.decider';
import type { GraphEvent, StoredEdge, StoredNode } from './graph.events';

const spec = deciderSpec(graphDecider, expect);
const meta: CommandMeta = { now: new Date('2026-01-01T00:00:00.000Z'), tenant: 't', agent: 'a' };
const now = meta.now.toISOString();
const earlier = '2025-06-01T00:00:00.000Z';
const none: UpsertLookup = { nodes: {}, edges: {} };

const upsert = (over: Partial<UpsertGraph>): UpsertGraph => ({ type: 'UpsertGraph', nodes: [], edges: [], stored: none, ...over });
const edge = (id: string, from: string, to: string, over: Partial<EdgeInput> = {}): EdgeInput => ({ id, type: 'knows', from, to, ...over });
const node = (id: string, version = 1, over: Partial<StoredNode> = {}): StoredNode => ({ id, labels: [], props: {}, version, createdAt: now, updatedAt: now, ...over });
const stored = (id: string, from: string, to: string, over: Partial<StoredEdge> = {}): StoredEdge => ({
  id, type: 'knows', from, to, props: {}, validFrom: now, validTo: null, supersedes: null, version: 1, createdAt: now, updatedAt: now, ...over,
});
const upserted = (data: Partial<Extract<GraphEvent, { type: 'graph.upserted' }>['data']>): GraphEvent => ({ type: 'graph.upserted', v: 1, data: { nodes: [], edges: [], closed: [], ...data } });

/** The refusal `command` meets: its code and the field it names. */
function refusal(command: UpsertGraph | DeleteGraph): { code: string; field: unknown } {
  try {
    graphDecider.decide(command, graphDecider.initialState(), meta);
  } catch (e) {
    if (isMemError(e)) return { code: e.code, field: e.details?.field };
    throw e;
  }
  throw new Error('the command was accepted');
}

describe('graph decider - upsert', () => {
  it('stores nodes and edges whole, versions from 1, validity from the request time by default', () => {
    spec
      .given([])
      .when(upsert({ nodes: [{ id: 'a', labels: ['person', 'person'], props: { name: 'Ada' } }, { id: 'b' }], edges: [edge('e1', 'a', 'b', { props: { since: 1990 } })] }), meta)
      .then(upserted({ nodes: [node('a', 1, { labels: ['person'], props: { name: 'Ada' } }), node('b')], edges: [stored('e1', 'a', 'b', { props: { since: 1990 } })] }));
  });

  it('replaces a stored item as a new version, keeping createdAt', () => {
    const known = { version: 2, createdAt: earlier };
    spec
      .given([])
      .when(upsert({ nodes: [{ id: 'a' }], edges: [edge('e1', 'a', 'a')], stored: { nodes: { a: known }, edges: { e1: { ...known, validTo: null } } } }), meta)
      .then(upserted({ nodes: [node('a', 3, { createdAt: earlier })], edges: [stored('e1', 'a', 'a', { version: 3, createdAt: earlier })] }));
  });

  it('an edge may join stored nodes; one to a node neither stored nor upserted is FAILED_PRECONDITION naming its end', () => {
    spec.given([]).when(upsert({ edges: [edge('e1', 'a', 'b')], stored: { nodes: { a: { version: 1, createdAt: now }, b: { version: 1, createdAt: now } }, edges: {} } }), meta).then(upserted({ edges: [stored('e1', 'a', 'b')] }));
    expect(refusal(upsert({ nodes: [{ id: 'a' }], edges: [edge('e1', 'a', 'ghost')] }))).toEqual({ code: 'FAILED_PRECONDITION', field: 'edges[0].to' });
    expect(refusal(upsert({ nodes: [{ id: 'a' }], edges: [edge('e1', 'a', 'a'), edge('e2', 'ghost', 'a')] }))).toEqual({ code: 'FAILED_PRECONDITION', field: 'edges[1].from' });
  });

  it('refuses an empty upsert, an id given twice and an empty validity as INVALID_ARGUMENT naming the field', () => {
    expect(refusal(upsert({}))).toEqual({ code: 'INVALID_ARGUMENT', field: 'nodes' });
    expect(refusal(upsert({ nodes: [{ id: 'a' }, { id: 'a' }] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'nodes[1].id' });
    expect(refusal(upsert({ nodes: [{ id: 'a' }], edges: [edge('e', 'a', 'a'), edge('e', 'a', 'a')] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'edges[1].id' });
    expect(refusal(upsert({ nodes: [{ id: 'a' }], edges: [edge('e', 'a', 'a', { validFrom: now, validTo: now })] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'edges[0].validTo' });
    expect(refusal(upsert({ nodes: [{ id: 'a' }], edges: [edge('e', 'a', 'a', { validTo: earlier })] }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'edges[0].validTo' });
  });
});

describe('graph decider - supersedes', () => {
  const nodes = { a: { version: 1, createdAt: earlier }, b: { version: 1, createdAt: earlier } };

  it("closes an open edge at the successor's validFrom and lists it", () => {
    spec
      .given([])
      .when(upsert({ edges: [edge('e2', 'a', 'b', { supersedes: 'e1' })], stored: { nodes, edges: { e1: { version: 1, createdAt: earlier, validTo: null } } } }), meta)
      .then(upserted({ edges: [stored('e2', 'a', 'b', { supersedes: 'e1' })], closed: [{ id: 'e1', validTo: now }] }));
  });

  it('leaves an edge that closes earlier as it is, and ignores unknown ids and itself', () => {
    spec
      .given([])
      .when(upsert({ edges: [edge('e2', 'a', 'b', { supersedes: 'e1' }), edge('e3', 'a', 'b', { supersedes: 'gone' }), edge('e4', 'a', 'b', { supersedes: 'e4' })], stored: { nodes, edges: { e1: { version: 1, createdAt: earlier, validTo: earlier } } } }), meta)
      .then(upserted({ edges: [stored('e2', 'a', 'b', { supersedes: 'e1' }), stored('e3', 'a', 'b', { supersedes: 'gone' }), stored('e4', 'a', 'b')] }));
  });

  it('closes an edge of the same upsert in its stored state', () => {
    const later = '2026-03-01T00:00:00.000Z';
    spec
      .given([])
      .when(upsert({ edges: [edge('e1', 'a', 'b'), edge('e2', 'a', 'b', { supersedes: 'e1', validFrom: later })], stored: { nodes, edges: {} } }), meta)
      .then(upserted({ edges: [stored('e1', 'a', 'b', { validTo: later }), stored('e2', 'a', 'b', { validFrom: later, supersedes: 'e1' })], closed: [{ id: 'e1', validTo: later }] }));
  });
});

describe('graph decider - delete', () => {
  const del = (over: Partial<DeleteGraph>): DeleteGraph => ({ type: 'DeleteGraph', nodeIds: [], edgeIds: [], cascade: false, ...over });
  const attached = [{ id: 'e1', from: 'a', to: 'b' }, { id: 'e2', from: 'c', to: 'a' }];

  it('refuses a node that still has edges without cascade, naming nodeIds', () => {
    expect(refusal(del({ nodeIds: ['a'], stored: { nodeIds: ['a'], edgeIds: [], attached } }))).toEqual({ code: 'FAILED_PRECONDITION', field: 'nodeIds' });
  });

  it('takes the edges with cascade, or when the delete names them too', () => {
    spec.given([]).when(del({ nodeIds: ['a'], cascade: true, stored: { nodeIds: ['a'], edgeIds: [], attached } }), meta).then({ type: 'graph.deleted', v: 1, data: { nodeIds: ['a'], edgeIds: ['e1', 'e2'] } });
    spec.given([]).when(del({ nodeIds: ['a'], edgeIds: ['e2', 'e1'], stored: { nodeIds: ['a'], edgeIds: ['e2', 'e1'], attached } }), meta).then({ type: 'graph.deleted', v: 1, data: { nodeIds: ['a'], edgeIds: ['e2', 'e1'] } });
  });

  it('appends nothing when nothing named exists', () => {
    spec.given([]).when(del({ nodeIds: ['x'], edgeIds: ['y'], stored: { nodeIds: [], edgeIds: [], attached: [] } }), meta).then(null);
  });
});
