import type { Database } from '@memsidecar/projections';
import type { GraphDirection } from './graph.dto';
import type { GraphEdge, GraphNeighbor, GraphNode } from './graph.replies';
import { EDGE_COLUMNS, NODE_COLUMNS, edgeOf, nodeOf, type EdgeRow, type NodeRow } from './graph.rows';

/** An edge is followed at `$4` while valid then; `$5` (null for any) are the types followed. */
export const FOLLOWED = `e.valid_from <= $4 AND (e.valid_to IS NULL OR e.valid_to > $4) AND ($5::text[] IS NULL OR e.type = ANY($5::text[]))`;

/** One way of the hop from node `$3`: the edges leaving it (`out`) or entering it (`in`), with the node at their other end. */
const hop = (way: 'out' | 'in') =>
  `SELECT '${way}'::text AS direction, e.*, ${way === 'out' ? 'e.to_id' : 'e.from_id'} AS other FROM graph_edges e
   WHERE e.tenant = $1 AND e.ns = $2 AND ${way === 'out' ? 'e.from_id' : 'e.to_id'} = $3 AND ${FOLLOWED}`;

const HOPS: Record<GraphDirection, string> = { out: hop('out'), in: hop('in'), both: `${hop('out')} UNION ALL ${hop('in')}` };

/** The fixed text of each direction: `$6` the labels a neighbour must carry one of (null for any), `$7` the rows wanted. */
const NEIGHBORS = Object.fromEntries(
  Object.entries(HOPS).map(([direction, hops]) => [
    direction,
    `WITH hop AS (${hops})
     SELECT h.direction, ${EDGE_COLUMNS.split(', ').map((c) => `h.${c}`).join(', ')}, to_jsonb(n) AS node
     FROM hop h JOIN graph_nodes n ON n.tenant = $1 AND n.ns = $2 AND n.id = h.other
     WHERE $6::text[] IS NULL OR n.labels && $6::text[]
     ORDER BY h.id, h.direction DESC
     LIMIT $7`,
  ]),
) as Record<GraphDirection, string>;

/** A node as `to_jsonb` gives it: times as text. */
type JsonNodeRow = Omit<NodeRow, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };

export interface NeighborsQuery {
  direction: GraphDirection;
  edgeTypes: string[] | null;
  nodeLabels: string[] | null;
  at: Date;
  limit: number;
}

/** Reads of the graph read model. */
export class GraphQueries {
  constructor(private readonly db: Database) {}

  async nodes(tenant: string, ns: string, ids: string[]): Promise<Map<string, GraphNode>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.prepared<NodeRow>(`SELECT ${NODE_COLUMNS} FROM graph_nodes WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [tenant, ns, [...new Set(ids)]]);
    return new Map(rows.map((r) => [r.id, nodeOf(r)]));
  }

  async edges(tenant: string, ns: string, ids: string[]): Promise<Map<string, GraphEdge>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db.prepared<EdgeRow>(`SELECT ${EDGE_COLUMNS} FROM graph_edges WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [tenant, ns, [...new Set(ids)]]);
    return new Map(rows.map((r) => [r.id, edgeOf(r)]));
  }

  /** The edges of node `id` followed at `q.at`, by edge id, with the nodes at their other ends; one row past `q.limit` tells there are more. */
  async neighbors(tenant: string, ns: string, id: string, q: NeighborsQuery): Promise<{ neighbors: GraphNeighbor[]; truncated: boolean }> {
    const rows = await this.db.prepared<EdgeRow & { direction: 'out' | 'in'; node: JsonNodeRow }>(NEIGHBORS[q.direction], [tenant, ns, id, q.at, q.edgeTypes, q.nodeLabels, q.limit + 1]);
    const neighbors = rows.slice(0, q.limit).map(({ direction, node, ...edge }) => ({
      direction,
      edge: edgeOf(edge),
      node: nodeOf({ ...node, created_at: new Date(node.created_at), updated_at: new Date(node.updated_at) }),
    }));
    return { neighbors, truncated: rows.length > q.limit };
  }
}
