import type { BlockDefinition } from '@memsidecar/api';
import { LeaseEntry } from './lease-entry.entity';
import { leaseExpiryWorker } from './lease.expiry';
import { leaseOperations } from './lease.operations';
import { leaseProjection } from './lease.projection';
import { LeaseEntries1763769600300 } from './migrations/1763769600300-lease-entries';

export const leaseBlock: BlockDefinition = {
  name: 'lease',
  entities: [LeaseEntry],
  migrations: [LeaseEntries1763769600300],
  projections: [leaseProjection],
  operations: leaseOperations,
  workers: (deps) => [leaseExpiryWorker(deps)],
};
