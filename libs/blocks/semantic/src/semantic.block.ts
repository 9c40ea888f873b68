import type { BlockDefinition } from '@memsidecar/api';
import { SemanticRecord } from './semantic-record.entity';
import { semanticOperations } from './semantic.operations';
import { semanticProjection } from './semantic.projection';
import { SemanticRecords1763769600500 } from './migrations/1763769600500-semantic-records';
import { SemanticWideColumnStatistics1763769600900 } from './migrations/1763769600900-semantic-wide-column-statistics';
import { SemanticWriteOrder1763769600920 } from './migrations/1763769600920-semantic-write-order';
import { SemanticProvenance1764806400230 } from './migrations/1764806400230-semantic-provenance';

export const semanticBlock: BlockDefinition = {
  name: 'semantic',
  entities: [SemanticRecord],
  migrations: [SemanticRecords1763769600500, SemanticWideColumnStatistics1763769600900, SemanticWriteOrder1763769600920, SemanticProvenance1764806400230],
  projections: [semanticProjection],
  operations: semanticOperations,
};
