import type { BlockDefinition } from '@memsidecar/api';
import { SemanticRecord } from './semantic-record.entity';
import { semanticOperations } from './semantic.operations';
import { semanticProjection } from './semantic.projection';
import { SemanticRecords1763769600500 } from './migrations/1763769600500-semantic-records';

export const semanticBlock: BlockDefinition = {
  name: 'semantic',
  entities: [SemanticRecord],
  migrations: [SemanticRecords1763769600500],
  projections: [semanticProjection],
  operations: semanticOperations,
};
