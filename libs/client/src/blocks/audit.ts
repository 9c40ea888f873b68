import type { AuditQueryInput as AuditQueryInputDto, AuditQueryResult } from '@memsidecar/audit';
import { method, type Call, type Method, type InputOf } from './method';

export type { AuditEvent, AuditQueryResult } from '@memsidecar/audit';

/** Every input field narrows the query; all are combined with AND. */
export type AuditQueryInput = InputOf<AuditQueryInputDto>;

/** Needs op `audit.read`, and namespace `audit/<ns>` (`audit/*` without `ns`). */
export interface AuditClient {
  query: Method<AuditQueryInput, AuditQueryResult>;
}

export const auditClient = (call: Call): AuditClient => ({
  query: method(call, 'audit.query'),
});
