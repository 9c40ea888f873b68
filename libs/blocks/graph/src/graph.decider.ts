import { assertNever, failedPrecondition, invalidArgument, type Decider } from '@memsidecar/core';
import type { ClosedEdge, GraphEvent, Props, StoredEdge, StoredNode } from './graph.events';

//////////////////////////////////////// Commands

export interface NodeInput {
  id: string;
  labels?: string[];
  props?: Props;
}

/** An edge as asked for; its id is assigned before the command is built when the caller gave none. */
export interface EdgeInput {
  id: string;
  type: string;
  from: string;
  to: string;
  props?: Props;
  validFrom?: string;
  validTo?: string;
  supersedes?: string;
}

/** What the read model says about a stored node or edge before the decision. */
export interface CurrentItem {
  version: number;
  createdAt: string;
}

/** The stored items an upsert names: its own nodes and edges, its edges' ends, the edges it supersedes. */
export interface UpsertLookup {
  nodes: Record<string, CurrentItem>;
  edges: Record<string, CurrentItem & { validTo: string | null }>;
}

export interface UpsertGraph {
  type: 'UpsertGraph';
  nodes: NodeInput[];
  edges: EdgeInput[];
  /** Filled by the look-up before the decision. */
  stored?: UpsertLookup;
}

/** An edge attached to a node named by a delete. */
export interface AttachedEdge {
  id: string;
  from: string;
  to: string;
}

/** The stored items a delete names, and every edge of its nodes. */
export interface DeleteLookup {
  nodeIds: string[];
  edgeIds: string[];
  attached: AttachedEdge[];
}

export interface DeleteGraph {
  type: 'DeleteGraph';
  nodeIds: string[];
  edgeIds: string[];
  cascade: boolean;
  /** Filled by the look-up before the decision. */
  stored?: DeleteLookup;
}

export type GraphCommand = UpsertGraph | DeleteGraph;

//////////////////////////////////////// State

/** A namespace's graph lives in the read model: each decision reads what it needs in the look-up. */
export type GraphState = Record<string, never>;

export const initialGraphState = (): GraphState => ({});

//////////////////////////////////////// Decisions

function assertUnique(field: 'nodes' | 'edges', ids: string[]): void {
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) throw invalidArgument(`${field}[${i}].id`, `${id} appears twice in the upsert`);
    seen.add(id);
  });
}

const missingNode = (field: string, id: string) =>
  failedPrecondition('NODE_NOT_FOUND', `${field}: node ${id} does not exist (upsert it first or in the same request)`, { field, id });

function storedNodes(c: UpsertGraph, stored: UpsertLookup, now: string): StoredNode[] {
  return c.nodes.map((n) => ({
    id: n.id,
    labels: [...new Set(n.labels ?? [])],
    props: n.props ?? {},
    version: (stored.nodes[n.id]?.version ?? 0) + 1,
    createdAt: stored.nodes[n.id]?.createdAt ?? now,
    updatedAt: now,
  }));
}

function storedEdges(c: UpsertGraph, stored: UpsertLookup, now: string): StoredEdge[] {
  const nodes = new Set([...c.nodes.map((n) => n.id), ...Object.keys(stored.nodes)]);
  return c.edges.map((e, i) => {
    const validFrom = e.validFrom ?? now;
    if (e.validTo !== undefined && Date.parse(e.validTo) <= Date.parse(validFrom)) throw invalidArgument(`edges[${i}].validTo`, 'must be after validFrom');
    if (!nodes.has(e.from)) throw missingNode(`edges[${i}].from`, e.from);
    if (!nodes.has(e.to)) throw missingNode(`edges[${i}].to`, e.to);
    return {
      id: e.id,
      type: e.type,
      from: e.from,
      to: e.to,
      props: e.props ?? {},
      validFrom,
      validTo: e.validTo ?? null,
      // An edge never supersedes itself.
      supersedes: e.supersedes !== undefined && e.supersedes !== e.id ? e.supersedes : null,
      version: (stored.edges[e.id]?.version ?? 0) + 1,
      createdAt: stored.edges[e.id]?.createdAt ?? now,
      updatedAt: now,
    };
  });
}

/**
 * Each superseded edge's validity closes where its successor's begins, unless it closes earlier
 * already; an edge of the same upsert closes in its stored state too. Unknown ids close nothing.
 */
function closeSuperseded(edges: StoredEdge[], stored: UpsertLookup): ClosedEdge[] {
  const inBatch = new Map(edges.map((e) => [e.id, e]));
  const closed = new Map<string, string>();
  for (const e of edges) {
    if (e.supersedes === null) continue;
    const own = inBatch.get(e.supersedes);
    const known = own ? own.validTo : stored.edges[e.supersedes] ? (closed.get(e.supersedes) ?? stored.edges[e.supersedes].validTo) : undefined;
    if (known === undefined) continue;
    if (known !== null && Date.parse(known) <= Date.parse(e.validFrom)) continue;
    closed.set(e.supersedes, e.validFrom);
    if (own) own.validTo = e.validFrom;
  }
  return [...closed].map(([id, validTo]) => ({ id, validTo }));
}

function upsert(c: UpsertGraph, now: string): GraphEvent {
  if (c.nodes.length + c.edges.length === 0) throw invalidArgument('nodes', 'at least one node or edge is required');
  assertUnique('nodes', c.nodes.map((n) => n.id));
  assertUnique('edges', c.edges.map((e) => e.id));
  const stored = c.stored ?? { nodes: {}, edges: {} };
  const edges = storedEdges(c, stored, now);
  const closed = closeSuperseded(edges, stored);
  return { type: 'graph.upserted', v: 1, data: { nodes: storedNodes(c, stored, now), edges, closed } };
}

/** Nodes go only without edges, unless the delete takes their edges too (named, or by `cascade`). */
function remove(c: DeleteGraph): GraphEvent | null {
  const stored = c.stored ?? { nodeIds: [], edgeIds: [], attached: [] };
  const named = new Set(stored.edgeIds);
  const cascaded: string[] = [];
  for (const node of stored.nodeIds) {
    const left = stored.attached.filter((e) => (e.from === node || e.to === node) && !named.has(e.id));
    if (left.length > 0 && !c.cascade) {
      throw failedPrecondition('NODE_HAS_EDGES', `nodeIds: node ${node} still has ${left.length} edge(s); delete them too or pass cascade`, { field: 'nodeIds', id: node, edges: left.length });
    }
    for (const e of left) if (!named.has(e.id) && !cascaded.includes(e.id)) cascaded.push(e.id);
  }
  const edgeIds = [...stored.edgeIds, ...cascaded];
  if (stored.nodeIds.length + edgeIds.length === 0) return null;
  return { type: 'graph.deleted', v: 1, data: { nodeIds: stored.nodeIds, edgeIds } };
}

export const graphDecider: Decider<GraphState, GraphCommand, GraphEvent> = {
  initialState: initialGraphState,
  decide(command, _state, meta) {
    switch (command.type) {
      case 'UpsertGraph':
        return upsert(command, meta.now.toISOString());
      case 'DeleteGraph':
        return remove(command);
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'graph.upserted':
      case 'graph.deleted':
        return state;
      default:
        return assertNever(event);
    }
  },
};
