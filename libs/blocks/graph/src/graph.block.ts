import type { BlockDefinition } from '@memsidecar/api';
import { GraphEdgeRow, GraphNodeRow } from './graph.entities';
import { graphOperations } from './graph.operations';
import { graphProjection } from './graph.projection';
import { Graph1764806400300 } from './migrations/1764806400300-graph';

export const graphBlock: BlockDefinition = {
  name: 'graph',
  entities: [GraphNodeRow, GraphEdgeRow],
  migrations: [Graph1764806400300],
  projections: [graphProjection],
  operations: graphOperations,
};
