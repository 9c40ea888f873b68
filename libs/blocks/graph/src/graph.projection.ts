import { assertNever, provenanceOf, type StoredEvent } from '@memsidecar/core';
import { columnsOf, handles, jsonText, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { GraphDeleted, GraphEvent, GraphUpserted, StoredEdge, StoredNode } from './graph.events';

type Stored = StoredEvent<GraphEvent>;

const ROWS_PER_STATEMENT = 500;

// Labels travel as JSON arrays: unnest cannot take an array of arrays of different lengths.
const UPSERT_NODES = `INSERT INTO graph_nodes (tenant, ns, id, labels, props, version, seq, created_at, updated_at, provenance)
  SELECT n.tenant, n.ns, n.id, ARRAY(SELECT jsonb_array_elements_text(n.labels)), n.props, n.version, n.seq, n.created_at, n.updated_at, n.provenance
  FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::integer[], $7::bigint[], $8::timestamptz[], $9::timestamptz[], $10::jsonb[])
    AS n(tenant, ns, id, labels, props, version, seq, created_at, updated_at, provenance)
  ON CONFLICT (tenant, ns, id) DO UPDATE SET labels = EXCLUDED.labels, props = EXCLUDED.props, version = EXCLUDED.version,
    seq = EXCLUDED.seq, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, provenance = EXCLUDED.provenance`;

const UPSERT_EDGES = `INSERT INTO graph_edges (tenant, ns, id, type, from_id, to_id, props, valid_from, valid_to, supersedes, version, seq, created_at, updated_at, provenance)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::timestamptz[], $9::timestamptz[], $10::text[],
    $11::integer[], $12::bigint[], $13::timestamptz[], $14::timestamptz[], $15::jsonb[])
  ON CONFLICT (tenant, ns, id) DO UPDATE SET type = EXCLUDED.type, from_id = EXCLUDED.from_id, to_id = EXCLUDED.to_id, props = EXCLUDED.props,
    valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, supersedes = EXCLUDED.supersedes, version = EXCLUDED.version,
    seq = EXCLUDED.seq, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, provenance = EXCLUDED.provenance`;

interface Pending<T> {
  e: Stored;
  item: T;
}

const keyOf = (e: Stored, id: string): string => `${e.tenant}\u0000${e.ns}\u0000${id}`;

async function inChunks<T>(items: T[], write: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) await write(items.slice(i, i + ROWS_PER_STATEMENT));
}

async function upsertNodes(sql: SqlExecutor, nodes: Pending<StoredNode>[]): Promise<void> {
  await inChunks(nodes, (chunk) =>
    sql.prepared(
      UPSERT_NODES,
      columnsOf(chunk.map(({ e, item: n }) => [e.tenant, e.ns, n.id, JSON.stringify(n.labels), JSON.stringify(n.props), n.version, e.seq, n.createdAt, n.updatedAt, jsonText(provenanceOf(e))])),
    ),
  );
}

async function upsertEdges(sql: SqlExecutor, edges: Pending<StoredEdge>[]): Promise<void> {
  await inChunks(edges, (chunk) =>
    sql.prepared(
      UPSERT_EDGES,
      columnsOf(
        chunk.map(({ e, item: d }) => [
          e.tenant, e.ns, d.id, d.type, d.from, d.to, JSON.stringify(d.props), d.validFrom, d.validTo, d.supersedes, d.version, e.seq, d.createdAt, d.updatedAt, jsonText(provenanceOf(e)),
        ]),
      ),
    ),
  );
}

/**
 * Applies events in log order. Upserted items wait in a run (each key's newest state) written at
 * the end; a closing or a delete of a waiting item changes the run, and reaches the stored rows
 * for what is not waiting, so the rows come out as applying each event alone would leave them.
 */
export const graphProjection: Projection<GraphEvent> = {
  name: 'graph',
  block: 'graph',
  tables: ['graph_nodes', 'graph_edges'],
  canHandle: handles<GraphEvent>({ 'graph.upserted': true, 'graph.deleted': true }),
  async apply(sql, events) {
    const nodes = new Map<string, Pending<StoredNode>>();
    const edges = new Map<string, Pending<StoredEdge>>();
    const upserted = async (e: StoredEvent<GraphUpserted>) => {
      for (const n of e.data.nodes) nodes.set(keyOf(e, n.id), { e, item: n });
      for (const d of e.data.edges) edges.set(keyOf(e, d.id), { e, item: d });
      const stored: string[] = [];
      const validTo: string[] = [];
      for (const c of e.data.closed) {
        const waiting = edges.get(keyOf(e, c.id));
        if (waiting) {
          waiting.item = { ...waiting.item, validTo: c.validTo };
        } else {
          stored.push(c.id);
          validTo.push(c.validTo);
        }
      }
      if (stored.length === 0) return;
      await sql.prepared(
        `UPDATE graph_edges g SET valid_to = c.valid_to FROM unnest($3::text[], $4::timestamptz[]) AS c(id, valid_to)
         WHERE g.tenant = $1 AND g.ns = $2 AND g.id = c.id`,
        [e.tenant, e.ns, stored, validTo],
      );
    };
    const deleted = async (e: StoredEvent<GraphDeleted>) => {
      for (const id of e.data.nodeIds) nodes.delete(keyOf(e, id));
      for (const id of e.data.edgeIds) edges.delete(keyOf(e, id));
      await sql.prepared(`DELETE FROM graph_edges WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [e.tenant, e.ns, e.data.edgeIds]);
      await sql.prepared(`DELETE FROM graph_nodes WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [e.tenant, e.ns, e.data.nodeIds]);
    };
    for (const e of events) {
      switch (e.type) {
        case 'graph.upserted':
          await upserted(e);
          break;
        case 'graph.deleted':
          await deleted(e);
          break;
        default:
          assertNever(e);
      }
    }
    await upsertNodes(sql, [...nodes.values()]);
    await upsertEdges(sql, [...edges.values()]);
  },
};
