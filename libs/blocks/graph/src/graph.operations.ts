import { invalidArgument, newId, requestIdReused } from '@memsidecar/core';
import type { AggregateType } from '@memsidecar/event-store';
import { assertJsonSize, commandMeta, defaultWithinCap, derivedCommandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import { graphDecider, type CurrentItem, type DeleteGraph, type GraphCommand, type GraphState, type UpsertGraph } from './graph.decider';
import type { GraphEvent } from './graph.events';
import { GraphDeleteInput, GraphGetInput, GraphNeighborsInput, GraphTraverseInput, GraphUpsertInput } from './graph.dto';
import type { GraphDeleteResult, GraphGetResult, GraphNeighborsResult, GraphTraverseLimits, GraphTraverseResult, GraphUpsertResult } from './graph.replies';
import { GraphQueries } from './graph.queries';
import { GraphTraversal } from './graph.traversal';

/** One aggregate per namespace: its whole graph. */
export const GRAPH_ENTITY = '_graph';
/** Keeps one upsert event well below NATS's default 1 MiB message size. */
const MAX_EVENT_BYTES = 768 * 1024;

type Lookup = Pick<BlockDependencies, 'readModels' | 'db'>;

async function lookUpUpsert(deps: Lookup, tenant: string, ns: string, c: UpsertGraph): Promise<UpsertGraph> {
  const nodeIds = [...new Set([...c.nodes.map((n) => n.id), ...c.edges.flatMap((e) => [e.from, e.to])])];
  const edgeIds = [...new Set(c.edges.flatMap((e) => (e.supersedes ? [e.id, e.supersedes] : [e.id])))];
  const [nodes, edges] = await Promise.all([
    deps.db.query<{ id: string; version: number; created_at: Date }>(`SELECT id, version, created_at FROM graph_nodes WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [tenant, ns, nodeIds]),
    deps.db.query<{ id: string; version: number; created_at: Date; valid_to: Date | null }>(
      `SELECT id, version, created_at, valid_to FROM graph_edges WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`,
      [tenant, ns, edgeIds],
    ),
  ]);
  const current = (r: { version: number; created_at: Date }): CurrentItem => ({ version: r.version, createdAt: r.created_at.toISOString() });
  return {
    ...c,
    stored: {
      nodes: Object.fromEntries(nodes.map((r) => [r.id, current(r)])),
      edges: Object.fromEntries(edges.map((r) => [r.id, { ...current(r), validTo: r.valid_to ? r.valid_to.toISOString() : null }])),
    },
  };
}

async function lookUpDelete(deps: Lookup, tenant: string, ns: string, c: DeleteGraph): Promise<DeleteGraph> {
  const [nodes, edges, attached] = await Promise.all([
    deps.db.query<{ id: string }>(`SELECT id FROM graph_nodes WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [tenant, ns, c.nodeIds]),
    deps.db.query<{ id: string }>(`SELECT id FROM graph_edges WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [tenant, ns, c.edgeIds]),
    deps.db.query<{ id: string; from_id: string; to_id: string }>(
      `SELECT id, from_id, to_id FROM graph_edges WHERE tenant = $1 AND ns = $2 AND (from_id = ANY($3::text[]) OR to_id = ANY($3::text[])) ORDER BY id`,
      [tenant, ns, c.nodeIds],
    ),
  ]);
  const presentNodes = new Set(nodes.map((r) => r.id));
  const presentEdges = new Set(edges.map((r) => r.id));
  return {
    ...c,
    stored: {
      nodeIds: [...new Set(c.nodeIds)].filter((id) => presentNodes.has(id)),
      edgeIds: [...new Set(c.edgeIds)].filter((id) => presentEdges.has(id)),
      attached: attached.map((r) => ({ id: r.id, from: r.from_id, to: r.to_id })),
    },
  };
}

/** Versions, existence and a node's edges are read in the aggregate's mailbox, once the read model caught up. */
function graphAggregate(deps: Lookup): AggregateType<GraphState, GraphCommand, GraphEvent> {
  return {
    block: 'graph',
    decider: graphDecider,
    history: 'last-event',
    async prepare(command, current, { tenant, ns }) {
      await deps.readModels.ready('graph', current.seq || undefined);
      switch (command.type) {
        case 'UpsertGraph':
          return lookUpUpsert(deps, tenant, ns, command);
        case 'DeleteGraph':
          return lookUpDelete(deps, tenant, ns, command);
      }
    },
  };
}

function upsertCommand(i: GraphUpsertInput, maxPropsBytes: number): UpsertGraph {
  const nodes = i.nodes ?? [];
  const edges = i.edges ?? [];
  nodes.forEach((n, k) => n.props !== undefined && assertJsonSize(`nodes[${k}].props`, n.props, maxPropsBytes));
  edges.forEach((e, k) => e.props !== undefined && assertJsonSize(`edges[${k}].props`, e.props, maxPropsBytes));
  const bytes = Buffer.byteLength(JSON.stringify({ nodes, edges }));
  if (bytes > MAX_EVENT_BYTES) throw invalidArgument('nodes', `the upsert is ${bytes} bytes; split it (at most ${MAX_EVENT_BYTES} bytes per upsert)`);
  return {
    type: 'UpsertGraph',
    nodes: nodes.map((n) => ({ ...n })),
    edges: edges.map((e) => ({ ...e, id: e.id ?? newId() })),
  };
}

/** A request's value, or its default within the policy's cap; either way no more than the configured maximum. */
function traverseLimits(i: GraphTraverseInput, ctx: RequestContext, config: BlockDependencies['config']['graph']): GraphTraverseLimits {
  const limit = (given: number | undefined, field: 'depth' | 'maxNodes' | 'fanOut', fallback: number, max: number) => Math.min(given ?? defaultWithinCap(ctx, field, fallback), max);
  return {
    depth: limit(i.depth, 'depth', config.defaultDepth, config.maxDepth),
    maxNodes: limit(i.maxNodes, 'maxNodes', config.defaultMaxNodes, config.nodesLimit),
    fanOut: limit(i.fanOut, 'fanOut', config.defaultFanOut, config.maxFanOut),
  };
}

export function graphOperations(deps: BlockDependencies): Operation[] {
  const aggregate = graphAggregate(deps);
  const queries = new GraphQueries(deps.db);
  const traversal = new GraphTraversal(deps.db);
  const run = async (ctx: RequestContext, ns: string, command: GraphCommand, meta = commandMeta(ctx)) =>
    (await deps.runtime.handle(aggregate, { tenant: ctx.principal.tenant, ns, entity: GRAPH_ENTITY }, command, meta)).event;

  return [
    operation<GraphUpsertInput, GraphUpsertResult>('graph', 'upsert', {
      mutation: true,
      input: GraphUpsertInput,
      async handle(i, ctx) {
        const command = upsertCommand(i, deps.limits.maxValueBytes);
        const event = await run(ctx, i.ns, command, await derivedCommandMeta(deps.store, ctx, i.derivedFrom));
        if (!event || event.type !== 'graph.upserted') throw requestIdReused();
        const { nodes, edges, closed } = event.data;
        return { nodes: nodes.map(({ id, version }) => ({ id, version })), edges: edges.map(({ id, version }) => ({ id, version })), closed: closed.map((c) => c.id), seq: event.seq };
      },
    }),
    operation<GraphGetInput, GraphGetResult>('graph', 'get', {
      mutation: false,
      input: GraphGetInput,
      async handle(i, ctx) {
        await deps.readModels.ready('graph', i.minSeq);
        const tenant = ctx.principal.tenant;
        const [nodes, edges] = await Promise.all([queries.nodes(tenant, i.ns, i.nodeIds ?? []), queries.edges(tenant, i.ns, i.edgeIds ?? [])]);
        const inOrder = <T>(found: Map<string, T>, ids: string[] = []) => [...new Set(ids)].flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
        return { nodes: inOrder(nodes, i.nodeIds), edges: inOrder(edges, i.edgeIds) };
      },
    }),
    operation<GraphNeighborsInput, GraphNeighborsResult>('graph', 'neighbors', {
      mutation: false,
      input: GraphNeighborsInput,
      async handle(i, ctx) {
        const max = deps.limits.maxListLimit;
        if (i.limit !== undefined && i.limit > max) throw invalidArgument('limit', `must not be greater than ${max}`);
        await deps.readModels.ready('graph', i.minSeq);
        return queries.neighbors(ctx.principal.tenant, i.ns, i.id, {
          direction: i.direction ?? 'both',
          edgeTypes: i.edgeTypes ?? null,
          nodeLabels: i.nodeLabels ?? null,
          at: i.asOf ? new Date(i.asOf) : ctx.now,
          limit: i.limit ?? defaultWithinCap(ctx, 'limit', deps.limits.defaultListLimit),
        });
      },
    }),
    operation<GraphTraverseInput, GraphTraverseResult>('graph', 'traverse', {
      mutation: false,
      input: GraphTraverseInput,
      async handle(i, ctx) {
        const limits = traverseLimits(i, ctx, deps.config.graph);
        await deps.readModels.ready('graph', i.minSeq);
        return traversal.traverse(ctx.principal.tenant, i.ns, {
          startId: i.startId,
          direction: i.direction ?? 'out',
          edgeTypes: i.edgeTypes ?? null,
          at: i.asOf ? new Date(i.asOf) : ctx.now,
          limits,
        });
      },
    }),
    operation<GraphDeleteInput, GraphDeleteResult>('graph', 'delete', {
      mutation: true,
      input: GraphDeleteInput,
      async handle(i, ctx) {
        const nodeIds = i.nodeIds ?? [];
        const edgeIds = i.edgeIds ?? [];
        if (nodeIds.length + edgeIds.length === 0) throw invalidArgument('nodeIds', 'at least one node or edge id is required');
        const event = await run(ctx, i.ns, { type: 'DeleteGraph', nodeIds, edgeIds, cascade: i.cascade ?? false });
        if (!event) return { nodes: [], edges: [] };
        if (event.type !== 'graph.deleted') throw requestIdReused();
        return { nodes: event.data.nodeIds, edges: event.data.edgeIds, seq: event.seq };
      },
    }),
  ];
}
