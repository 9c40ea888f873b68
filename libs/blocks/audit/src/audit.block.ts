import type { BlockDefinition } from '@memsidecar/api';
import { AuditLogEntry } from './audit-entry.entity';
import { auditOperations } from './audit.operations';
import { auditProjection } from './audit.projection';
import { AuditLog1763769600800 } from './migrations/1763769600800-audit-log';
import { AuditLogWithoutEnvelopes1763769600910 } from './migrations/1763769600910-audit-log-without-envelopes';

export const auditBlock: BlockDefinition = {
  name: 'audit',
  entities: [AuditLogEntry],
  migrations: [AuditLog1763769600800, AuditLogWithoutEnvelopes1763769600910],
  projections: [auditProjection],
  operations: auditOperations,
};
