import type { Block, StoredEvent } from '@memsidecar/core';
import type { SqlExecutor } from './database';

/** A read model: folds one block's events into Postgres rows. Must be safe to apply in batches. */
export interface Projection {
  /** Name of the read model, also its checkpoint's name. */
  name: string;
  block: Block;
  /** Tables this read model owns, emptied by a rebuild. */
  tables: string[];
  apply(sql: SqlExecutor, events: StoredEvent[]): Promise<void>;
}
