import type { BlockDefinition } from '@memsidecar/api';
import { KvEntry } from './kv-entry.entity';
import { kvOperations } from './kv.operations';
import { kvProjection } from './kv.projection';
import { KvEntries1763769600100 } from './migrations/1763769600100-kv-entries';

export const kvBlock: BlockDefinition = {
  name: 'kv',
  entities: [KvEntry],
  migrations: [KvEntries1763769600100],
  projections: [kvProjection],
  operations: kvOperations,
};
