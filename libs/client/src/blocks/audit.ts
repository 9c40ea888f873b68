import type { AuditEraseInput as AuditEraseInputDto, AuditEraseResult, AuditQueryInput as AuditQueryInputDto, AuditQueryResult } from '@memsidecar/audit';
import { method, type Call, type Method, type InputOf } from './method';

export type { AuditEraseResult, AuditEvent, AuditQueryResult } from '@memsidecar/audit';

/** Every input field narrows the query; all are combined with AND. */
export type AuditQueryInput = InputOf<AuditQueryInputDto>;

/** The caller's own tenant, or one namespace of it. */
export type AuditEraseInput = InputOf<AuditEraseInputDto>;

export interface AuditClient {
  /** Needs op `audit.read`, and namespace `audit/<ns>` (`audit/*` without `ns`). */
  query: Method<AuditQueryInput, AuditQueryResult>;
  /**
   * Erases a tenant or one of its namespaces for good: its data keys destroyed, so its events read
   * as erased everywhere, and its read-model rows, blobs and cached state deleted; returns the
   * receipt. Needs op `audit.erase`, and namespace `audit/<ns>` (`audit/*` for the whole tenant).
   */
  erase: Method<AuditEraseInput, AuditEraseResult>;
}

export const auditClient = (call: Call): AuditClient => ({
  query: method(call, 'audit.query'),
  erase: method(call, 'audit.erase'),
});
