import type { Database } from '@memsidecar/projections';
import type { GraphDirection } from './graph.dto';
import type { GraphTraverseLimits, GraphTraverseResult } from './graph.replies';
import { FOLLOWED } from './graph.queries';
import { edgeOf, nodeOf, type EdgeRow, type NodeRow } from './graph.rows';

/** Ends of an edge by direction: the node a step leaves from and the node it reaches. */
const STEP_ENDS: Record<GraphDirection, { leaves: string; reaches: string }> = {
  out: { leaves: 'e.from_id = w.id', reaches: 'e.to_id' },
  in: { leaves: 'e.to_id = w.id', reaches: 'e.from_id' },
  both: { leaves: '(e.from_id = w.id OR e.to_id = w.id)', reaches: 'CASE WHEN e.from_id = w.id THEN e.to_id ELSE e.from_id END' },
};

/** Every column of the walk's result: a node row fills the node's, an edge row the edge's, a cut row none. */
const NODE_FIELDS = (n: string) => `${n}.labels, ${n}.props, ${n}.version, ${n}.created_at, ${n}.updated_at, ${n}.provenance`;
const NO_EDGE_FIELDS = 'NULL::text AS type, NULL::text AS from_id, NULL::text AS to_id, NULL::timestamptz AS valid_from, NULL::timestamptz AS valid_to, NULL::text AS supersedes';
const EDGE_FIELDS = (e: string) => `NULL::text[], ${e}.props, ${e}.version, ${e}.created_at, ${e}.updated_at, ${e}.provenance, ${e}.type, ${e}.from_id, ${e}.to_id, ${e}.valid_from, ${e}.valid_to, ${e}.supersedes`;
const NO_FIELDS = 'NULL::text[], NULL::jsonb, NULL::integer, NULL::timestamptz, NULL::timestamptz, NULL::jsonb, NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz, NULL::text';

/**
 * The breadth-first walk in one statement. `walk` holds each node reached at each level (a node is
 * expanded once per level, never once per edge that reaches it), following each node's first
 * `$7` edges by id (the fan-out) down to the depth `$6`; a cycle ends at the depth bound.
 * Out come the nodes kept, whole (the shallowest depth of each, one past `$8` to tell the nodes
 * were cut), the edges followed between them, whole, and a row for each limit that cut the walk: a
 * node above the depth with more edges than the fan-out, or a node at the depth with an edge to one
 * not reached.
 */
const WALK = Object.fromEntries(
  Object.entries(STEP_ENDS).map(([direction, { leaves, reaches }]) => {
    /** A node's first `$7` followed edges (`s.next`: the node each reaches), whole. */
    const steps = `CROSS JOIN LATERAL (
         SELECT ${reaches} AS next, e.* FROM graph_edges e
         WHERE e.tenant = $1 AND e.ns = $2 AND ${leaves} AND ${FOLLOWED}
         ORDER BY e.id LIMIT $7::bigint
       ) s`;
    return [
      direction,
      `WITH RECURSIVE walk(id, depth) AS (
         SELECT n.id, 0 FROM graph_nodes n WHERE n.tenant = $1 AND n.ns = $2 AND n.id = $3
         UNION
         SELECT s.next, w.depth + 1 FROM walk w ${steps} WHERE w.depth < $6
       ),
       reached AS (SELECT id, min(depth) AS depth FROM walk GROUP BY id),
       kept AS (SELECT id, depth FROM reached ORDER BY depth, id LIMIT $8::bigint + 1)
       SELECT 'node' AS kind, n.id, k.depth, ${NODE_FIELDS('n')}, ${NO_EDGE_FIELDS}
         FROM kept k JOIN graph_nodes n ON n.tenant = $1 AND n.ns = $2 AND n.id = k.id
       UNION ALL SELECT 'edge', s.id, NULL, ${EDGE_FIELDS('s')} FROM kept w ${steps} WHERE w.depth < $6 AND s.next IN (SELECT id FROM kept)
       UNION ALL SELECT 'fanOut', NULL, NULL, ${NO_FIELDS} WHERE EXISTS (
         SELECT 1 FROM reached w CROSS JOIN LATERAL (
           SELECT 1 FROM graph_edges e WHERE e.tenant = $1 AND e.ns = $2 AND ${leaves} AND ${FOLLOWED} ORDER BY e.id OFFSET $7::bigint LIMIT 1
         ) beyond WHERE w.depth < $6)
       UNION ALL SELECT 'depth', NULL, NULL, ${NO_FIELDS} WHERE EXISTS (
         SELECT 1 FROM reached w ${steps} WHERE w.depth = $6 AND NOT EXISTS (SELECT 1 FROM reached r WHERE r.id = s.next))`,
    ];
  }),
) as Record<GraphDirection, string>;

export interface TraverseQuery {
  startId: string;
  direction: GraphDirection;
  edgeTypes: string[] | null;
  at: Date;
  limits: GraphTraverseLimits;
}

/** A row of the walk: a node (with its depth) or an edge, whole, or a limit that cut it. */
type WalkRow = (NodeRow & EdgeRow) & { kind: 'node' | 'edge' | 'fanOut' | 'depth'; depth: number | null };

const byDepthThenId = (a: { depth: number; id: string }, b: { depth: number; id: string }) => a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Breadth-first traversal of the graph read model, nodes and edges read by the walk itself. */
export class GraphTraversal {
  constructor(private readonly db: Database) {}

  async traverse(tenant: string, ns: string, q: TraverseQuery): Promise<GraphTraverseResult> {
    const { depth, maxNodes, fanOut } = q.limits;
    // Planned for its own values each time (not a prepared statement's generic plan): the join
    // order that suits a walk depends on how far its limits let it go.
    const rows = await this.db.query<WalkRow>(WALK[q.direction], [tenant, ns, q.startId, q.at, q.edgeTypes, depth, fanOut, maxNodes]);
    const reached = rows.filter((r) => r.kind === 'node').map((r) => ({ ...nodeOf(r), depth: r.depth! }));
    const nodes = reached.sort(byDepthThenId).slice(0, maxNodes);
    const keptIds = new Set(nodes.map((n) => n.id));
    // Both ways, an edge between two kept nodes is followed from each end: one copy each.
    const edges = new Map(rows.filter((r) => r.kind === 'edge').map((r) => [r.id, edgeOf(r)] as const));
    return {
      nodes,
      edges: [...edges.values()].filter((e) => keptIds.has(e.from) && keptIds.has(e.to)).sort(byId),
      truncated: { depth: rows.some((r) => r.kind === 'depth'), nodes: reached.length > maxNodes, fanOut: rows.some((r) => r.kind === 'fanOut') },
      limits: q.limits,
    };
  }
}
