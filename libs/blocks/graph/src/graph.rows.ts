import { provenanceField, type Provenance } from '@memsidecar/core';
import type { Props } from './graph.events';
import type { GraphEdge, GraphNode } from './graph.replies';

export const NODE_COLUMNS = 'id, labels, props, version, created_at, updated_at, provenance';
export const EDGE_COLUMNS = 'id, type, from_id, to_id, props, valid_from, valid_to, supersedes, version, created_at, updated_at, provenance';

export interface NodeRow {
  id: string;
  labels: string[];
  props: Props;
  version: number;
  created_at: Date;
  updated_at: Date;
  provenance: Provenance | null;
}

export interface EdgeRow {
  id: string;
  type: string;
  from_id: string;
  to_id: string;
  props: Props;
  valid_from: Date;
  valid_to: Date | null;
  supersedes: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  provenance: Provenance | null;
}

export const nodeOf = (r: NodeRow): GraphNode => ({
  id: r.id,
  labels: r.labels,
  props: r.props,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  ...provenanceField(r.provenance),
});

export const edgeOf = (r: EdgeRow): GraphEdge => ({
  id: r.id,
  type: r.type,
  from: r.from_id,
  to: r.to_id,
  props: r.props,
  validFrom: r.valid_from.toISOString(),
  validTo: r.valid_to ? r.valid_to.toISOString() : null,
  supersedes: r.supersedes,
  version: r.version,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  ...provenanceField(r.provenance),
});
