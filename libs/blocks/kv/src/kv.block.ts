import type { BlockDefinition } from '@memsidecar/api';
import { KvEntry } from './kv-entry.entity';
import { kvOperations } from './kv.operations';
import { kvProjection } from './kv.projection';
import { KvEntries1763769600100 } from './migrations/1763769600100-kv-entries';
import { KvProvenance1764806400210 } from './migrations/1764806400210-kv-provenance';

export const kvBlock: BlockDefinition = {
  name: 'kv',
  entities: [KvEntry],
  migrations: [KvEntries1763769600100, KvProvenance1764806400210],
  projections: [kvProjection],
  operations: kvOperations,
};
