import type {
  EdgeDto,
  GraphDeleteInput as GraphDeleteInputDto,
  GraphDeleteResult,
  GraphGetInput as GraphGetInputDto,
  GraphGetResult,
  GraphNeighborsInput as GraphNeighborsInputDto,
  GraphNeighborsResult,
  GraphTraverseInput as GraphTraverseInputDto,
  GraphTraverseResult,
  GraphUpsertInput as GraphUpsertInputDto,
  GraphUpsertResult,
  NodeDto,
} from '@memsidecar/graph';
import { method, type Call, type InputOf, type Method } from './method';

export type {
  GraphDeleteResult,
  GraphEdge,
  GraphGetResult,
  GraphItemVersion,
  GraphNeighbor,
  GraphNeighborsResult,
  GraphNode,
  GraphTraverseLimits,
  GraphTraverseResult,
  GraphUpsertResult,
} from '@memsidecar/graph';

/** A node: its labels and props replace the stored ones whole. */
export type GraphNodeInput = InputOf<NodeDto>;
/** An edge between two nodes that exist (or come in the same upsert); its id is generated when absent. */
export type GraphEdgeInput = InputOf<EdgeDto>;
export type GraphUpsertInput = InputOf<GraphUpsertInputDto>;
export type GraphGetInput = InputOf<GraphGetInputDto>;
export type GraphNeighborsInput = InputOf<GraphNeighborsInputDto>;
export type GraphTraverseInput = InputOf<GraphTraverseInputDto>;
export type GraphDeleteInput = InputOf<GraphDeleteInputDto>;

export interface GraphClient {
  /** Writes nodes and edges (1000 of each at most); an edge superseding another closes it at its own validFrom. */
  upsert: Method<GraphUpsertInput, GraphUpsertResult>;
  /** Nodes and edges by id, whatever their validity; missing ids are absent. */
  get: Method<GraphGetInput, GraphGetResult>;
  /** A node's edges valid now (or at `asOf`) and the nodes at their other ends, by edge id. */
  neighbors: Method<GraphNeighborsInput, GraphNeighborsResult>;
  /** Breadth-first walk from a node, within depth, node and fan-out limits; says which limit cut it. */
  traverse: Method<GraphTraverseInput, GraphTraverseResult>;
  /** Deletes nodes and edges; a node that has edges needs `cascade` (or its edges named too). */
  delete: Method<GraphDeleteInput, GraphDeleteResult>;
}

export const graphClient = (call: Call): GraphClient => ({
  upsert: method(call, 'graph.upsert'),
  get: method(call, 'graph.get'),
  neighbors: method(call, 'graph.neighbors'),
  traverse: method(call, 'graph.traverse'),
  delete: method(call, 'graph.delete'),
});
