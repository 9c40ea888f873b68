import type { DomainEvent } from '@memsidecar/core';

/** A JSON object: node and edge properties. */
export type Props = Record<string, unknown>;

/** A node's whole state after an upsert. */
export interface StoredNode {
  id: string;
  labels: string[];
  props: Props;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** An edge's whole state after an upsert; valid from `validFrom` until `validTo` (open when null). */
export interface StoredEdge {
  id: string;
  type: string;
  from: string;
  to: string;
  props: Props;
  validFrom: string;
  validTo: string | null;
  supersedes: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** An edge whose validity a superseding edge of the upsert closed. */
export interface ClosedEdge {
  id: string;
  validTo: string;
}

export type GraphUpserted = DomainEvent<'graph.upserted', { nodes: StoredNode[]; edges: StoredEdge[]; closed: ClosedEdge[] }>;
/** `edgeIds` include the edges of deleted nodes that a cascade took with them. */
export type GraphDeleted = DomainEvent<'graph.deleted', { nodeIds: string[]; edgeIds: string[] }>;
export type GraphEvent = GraphUpserted | GraphDeleted;
