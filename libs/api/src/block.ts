import type { Limits } from '@memsidecar/core';
import type { AggregateRuntime } from '@memsidecar/event-store';
import type { Database, Projection, ReadModels } from '@memsidecar/projections';
import type { Operation } from './operation';

/** What a block's operations may use; built once by the service. */
export interface BlockDependencies {
  runtime: AggregateRuntime;
  readModels: ReadModels;
  db: Database;
  limits: Limits;
}

/** Everything the service needs to know about one block, exported by the block's library. */
export interface BlockDefinition {
  name: string;
  entities: Function[];
  migrations: Function[];
  projections: Projection[];
  operations(deps: BlockDependencies): Operation[];
}
