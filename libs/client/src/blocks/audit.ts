import { method, type Call, type Method } from './method';

/** Every input field narrows the query; all are combined with AND. */
export interface AuditQueryInput {
  /** The first stream sequence to return. */
  fromSeq?: number;
  since?: string;
  until?: string;
  block?: string;
  ns?: string;
  agent?: string;
  sessionId?: string;
  /** Event types, e.g. `kv.value_set`. */
  types?: string[];
  limit?: number;
}

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

/** Needs op `audit.read`. */
export interface AuditClient {
  query: Method<AuditQueryInput, AuditQueryResult>;
}

export const auditClient = (call: Call): AuditClient => ({
  query: method(call, 'audit.query'),
});
