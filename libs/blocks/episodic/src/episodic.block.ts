import type { BlockDefinition } from '@memsidecar/api';
import { EpisodicEventRow } from './episodic-event.entity';
import { episodicOperations } from './episodic.operations';
import { episodicProjection } from './episodic.projection';
import { EpisodicEvents1763769600200 } from './migrations/1763769600200-episodic-events';
import { EpisodicProvenance1764806400220 } from './migrations/1764806400220-episodic-provenance';

export const episodicBlock: BlockDefinition = {
  name: 'episodic',
  entities: [EpisodicEventRow],
  migrations: [EpisodicEvents1763769600200, EpisodicProvenance1764806400220],
  projections: [episodicProjection],
  operations: episodicOperations,
};
