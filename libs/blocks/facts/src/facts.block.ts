import type { BlockDefinition } from '@memsidecar/api';
import { factsOperations } from './facts.operations';
import { factsProjection } from './facts.projection';
import { Facts1763769600700 } from './migrations/1763769600700-facts';
import { FactsProvenance1764806400250 } from './migrations/1764806400250-facts-provenance';

/** Structured facts (MEMORY_SPEC): hot/cold tiers, scopes, a pressure gauge and a bounded prompt block. */
export const factsBlock: BlockDefinition = {
  name: 'facts',
  entities: [],
  migrations: [Facts1763769600700, FactsProvenance1764806400250],
  projections: [factsProjection],
  operations: factsOperations,
};
