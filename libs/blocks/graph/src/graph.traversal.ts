import type { Database } from '@memsidecar/projections';
import type { GraphDirection } from './graph.dto';
import type { GraphTraverseLimits, GraphTraverseResult } from './graph.replies';
import { FOLLOWED, GraphQueries } from './graph.queries';

/** Ends of an edge by direction: the node a step leaves from and the node it reaches. */
const STEP_ENDS: Record<GraphDirection, { leaves: string; reaches: string }> = {
  out: { leaves: 'e.from_id = w.id', reaches: 'e.to_id' },
  in: { leaves: 'e.to_id = w.id', reaches: 'e.from_id' },
  both: { leaves: '(e.from_id = w.id OR e.to_id = w.id)', reaches: 'CASE WHEN e.from_id = w.id THEN e.to_id ELSE e.from_id END' },
};

/**
 * The breadth-first walk in one statement. `walk` holds each node reached at each level (a node is
 * expanded once per level, never once per edge that reaches it), following each node's first
 * `$7` edges by id (the fan-out) down to the depth `$6`; a cycle ends at the depth bound.
 * Out come the nodes kept (the shallowest depth of each, one past `$8` to tell the nodes were cut),
 * the edges followed between them, and a row for each limit that cut the walk: a node above the
 * depth with more edges than the fan-out, or a node at the depth with an edge to one not reached.
 */
const WALK = Object.fromEntries(
  Object.entries(STEP_ENDS).map(([direction, { leaves, reaches }]) => {
    /** A node's first `$7` followed edges (one more with `extra`), as `s(next, edge_id)`. */
    const steps = (extra = '') => `CROSS JOIN LATERAL (
         SELECT ${reaches} AS next, e.id AS edge_id FROM graph_edges e
         WHERE e.tenant = $1 AND e.ns = $2 AND ${leaves} AND ${FOLLOWED}
         ORDER BY e.id LIMIT $7::bigint${extra}
       ) s`;
    return [
      direction,
      `WITH RECURSIVE walk(id, depth) AS (
         SELECT n.id, 0 FROM graph_nodes n WHERE n.tenant = $1 AND n.ns = $2 AND n.id = $3
         UNION
         SELECT s.next, w.depth + 1 FROM walk w ${steps()} WHERE w.depth < $6
       ),
       reached AS (SELECT id, min(depth) AS depth FROM walk GROUP BY id),
       kept AS (SELECT id, depth FROM reached ORDER BY depth, id LIMIT $8::bigint + 1)
       SELECT 'node' AS kind, id, depth FROM kept
       UNION ALL SELECT DISTINCT 'edge', s.edge_id, NULL::integer FROM kept w ${steps()} WHERE w.depth < $6 AND s.next IN (SELECT id FROM kept)
       UNION ALL SELECT 'fanOut', NULL, NULL WHERE EXISTS (
         SELECT 1 FROM reached w CROSS JOIN LATERAL (
           SELECT 1 FROM graph_edges e WHERE e.tenant = $1 AND e.ns = $2 AND ${leaves} AND ${FOLLOWED} ORDER BY e.id OFFSET $7::bigint LIMIT 1
         ) beyond WHERE w.depth < $6)
       UNION ALL SELECT 'depth', NULL, NULL WHERE EXISTS (
         SELECT 1 FROM reached w ${steps()} WHERE w.depth = $6 AND NOT EXISTS (SELECT 1 FROM reached r WHERE r.id = s.next))`,
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

interface WalkRow {
  kind: 'node' | 'edge' | 'fanOut' | 'depth';
  id: string | null;
  depth: number | null;
}

/** Breadth-first traversal of the graph read model: the walk, then the nodes and edges it found. */
export class GraphTraversal {
  private readonly queries: GraphQueries;

  constructor(private readonly db: Database) {
    this.queries = new GraphQueries(db);
  }

  async traverse(tenant: string, ns: string, q: TraverseQuery): Promise<GraphTraverseResult> {
    const { depth, maxNodes, fanOut } = q.limits;
    const rows = await this.db.prepared<WalkRow>(WALK[q.direction], [tenant, ns, q.startId, q.at, q.edgeTypes, depth, fanOut, maxNodes]);
    const reached = rows.filter((r) => r.kind === 'node');
    const kept = reached.slice(0, maxNodes);
    const keptIds = new Set(kept.map((r) => r.id!));
    const [nodes, edges] = await Promise.all([
      this.queries.nodes(tenant, ns, [...keptIds]),
      this.queries.edges(tenant, ns, rows.filter((r) => r.kind === 'edge').map((r) => r.id!)),
    ]);
    return {
      // A node deleted between the two statements is left out rather than returned half.
      nodes: kept.flatMap((r) => (nodes.has(r.id!) ? [{ ...nodes.get(r.id!)!, depth: r.depth! }] : [])),
      edges: [...edges.values()].filter((e) => keptIds.has(e.from) && keptIds.has(e.to)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      truncated: { depth: rows.some((r) => r.kind === 'depth'), nodes: reached.length > maxNodes, fanOut: rows.some((r) => r.kind === 'fanOut') },
      limits: q.limits,
    };
  }
}
