import type { AuditQueryInput as AuditQueryInputDto } from '@memsidecar/audit';
import { method, type Call, type Method, type InputOf } from './method';

/** Every input field narrows the query; all are combined with AND. */
export type AuditQueryInput = InputOf<AuditQueryInputDto>;

/** One event of the log as its envelope (CONTRACT §5), with its stream sequence. */
export interface AuditEvent {
  id: string;
  /** What happened, in the past tense (`kv.value_set`). */
  type: string;
  /** Schema version of `data`. */
  v: number;
  at: string;
  tenant: string;
  agent: string;
  tokenId?: string;
  sessionId?: string;
  block: string;
  ns: string;
  entity: string;
  requestId?: string;
  data: unknown;
  seq: number;
}

export interface AuditQueryResult {
  /** The caller's tenant's events, oldest first. */
  events: AuditEvent[];
  /** `fromSeq` of the next page; null when there is none. */
  nextSeq: number | null;
}

/** Needs op `audit.read`, and namespace `audit/<ns>` (`audit/*` without `ns`). */
export interface AuditClient {
  query: Method<AuditQueryInput, AuditQueryResult>;
}

export const auditClient = (call: Call): AuditClient => ({
  query: method(call, 'audit.query'),
});
