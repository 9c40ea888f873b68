import type { BlockDefinition } from '@memsidecar/api';
import { SessionEntry } from './session-entry.entity';
import { sessionGuard } from './session.guard';
import { sessionOperations } from './session.operations';
import { sessionProjection } from './session.projection';
import { orphanDetector } from './orphan-detector';
import { sessionLeaseReleaser } from './session-lease-releaser';
import { SessionEntries1763769600400 } from './migrations/1763769600400-session-entries';

export const sessionBlock: BlockDefinition = {
  name: 'session',
  entities: [SessionEntry],
  migrations: [SessionEntries1763769600400],
  projections: [sessionProjection],
  operations: sessionOperations,
  workers: (deps) => [orphanDetector(deps), sessionLeaseReleaser(deps)],
  sessionGuard,
};
