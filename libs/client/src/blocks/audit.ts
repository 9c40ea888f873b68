import { method, type Call, type Method } from './method';

/** Every input field narrows the query; all are combined with AND. */
export interface AuditQueryInput {
  /** The first stream sequence to return (inclusive). */
  fromSeq?: number;
  /** Event time, inclusive. */
  since?: string;
  /** Event time, exclusive. */
  until?: string;
  block?: string;
  ns?: string;
  agent?: string;
  /** Events written under the session, and the session's own events. */
  sessionId?: string;
  /** Event types, e.g. `kv.value_set`, or prefixes ending in `*`, e.g. `kv.*`. */
  types?: string[];
  limit?: number;
  /** Wait until the audit read model holds the log up to this sequence. */
  minSeq?: number;
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
