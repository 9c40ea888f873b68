import type { TrustLabel } from '@memsidecar/core';

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
  transport?: string;
  trust?: TrustLabel;
  derivedFrom?: number[];
  data: unknown;
  seq: number;
}

export interface AuditQueryResult {
  /** The caller's tenant's events, oldest first. */
  events: AuditEvent[];
  /** `fromSeq` of the next page; null when there is none. */
  nextSeq: number | null;
}

/** The receipt of `audit.erase`; the same receipt is the payload of its `audit.subject_erased` event at `seq`. */
export interface AuditEraseResult {
  subject: { tenant: string; ns?: string };
  /** Ids of the data keys destroyed. */
  keys: string[];
  /** The subject's events in the log, which now read as erased: their count and sequences as ranges. */
  events: { count: number; ranges: { from: number; to: number }[]; truncated: boolean };
  /** Rows deleted from each read-model table. */
  rows: Record<string, number>;
  /** Artifact blobs deleted. */
  blobs: number;
  erasedAt: string;
  /** Sequence of the erasure's own event in the log. */
  seq: number;
}
