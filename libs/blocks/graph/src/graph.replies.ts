import type { Provenance } from '@memsidecar/core';
import type { Props } from './graph.events';

export interface GraphNode {
  id: string;
  labels: string[];
  props: Props;
  version: number;
  createdAt: string;
  updatedAt: string;
  /** Of the upsert that wrote the node's current version. */
  provenance?: Provenance;
}

export interface GraphEdge {
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
  /** Of the upsert that wrote the edge's current version. */
  provenance?: Provenance;
}

export interface GraphItemVersion {
  id: string;
  version: number;
}

export interface GraphUpsertResult {
  nodes: GraphItemVersion[];
  edges: GraphItemVersion[];
  /** Edges whose validity the upsert's `supersedes` closed. */
  closed: string[];
  seq: number;
}

/** Ids that are not stored are absent; the rest in the order asked. */
export interface GraphGetResult {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface GraphNeighbor {
  /** `out` when the edge leaves the node asked about, `in` when it enters it. */
  direction: 'out' | 'in';
  edge: GraphEdge;
  node: GraphNode;
}

export interface GraphNeighborsResult {
  /** By edge id. */
  neighbors: GraphNeighbor[];
  /** More neighbours than `limit`. */
  truncated: boolean;
}

export interface GraphTraverseLimits {
  depth: number;
  maxNodes: number;
  fanOut: number;
}

export interface GraphTraverseResult {
  /** The start node first (depth 0), then by depth, then by id. */
  nodes: (GraphNode & { depth: number })[];
  /** Every edge the walk followed between the nodes returned, by id. */
  edges: GraphEdge[];
  /** Which limit cut the walk short. */
  truncated: { depth: boolean; nodes: boolean; fanOut: boolean };
  /** The limits as applied (after defaults, configured maxima and policy caps). */
  limits: GraphTraverseLimits;
}

export interface GraphDeleteResult {
  /** Deleted nodes that existed. */
  nodes: string[];
  /** Deleted edges, those that went with their nodes included. */
  edges: string[];
  /** Absent when nothing named existed. */
  seq?: number;
}
