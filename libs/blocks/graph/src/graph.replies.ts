import type { Provenance } from '@memsidecar/core';
import type { StoredEdge, StoredNode } from './graph.events';

/** A node as reads return it: its stored state, and where that came from. */
export type GraphNode = StoredNode & {
  /** Of the upsert that wrote the node's current version. */
  provenance?: Provenance;
};

/** An edge as reads return it: its stored state, and where that came from. */
export type GraphEdge = StoredEdge & {
  /** Of the upsert that wrote the edge's current version. */
  provenance?: Provenance;
};

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
