import type { Provenance } from '@memsidecar/core';

export interface EpisodicAppendResult {
  id: string;
  /** Per namespace, from 1, strictly increasing, never reused. */
  cursor: number;
  createdAt: string;
  deduplicated: boolean;
  seq: number;
}

/** One event of a namespace's log as `episodic.range` and `episodic.tail` send it (the SDK's `EpisodicEvent`). */
export interface EpisodicWireEvent {
  id: string;
  cursor: number;
  type: string;
  payload: unknown;
  role: string | null;
  sessionId: string | null;
  metadata: Record<string, string>;
  dedupKey: string | null;
  supersedes: string[];
  createdAt: string;
  /** Only on soft-deleted events read with `includeDeleted`. */
  deletedAt?: string;
  /** Of the append that wrote it. */
  provenance?: Provenance;
}

export interface EpisodicRangeResult {
  events: EpisodicWireEvent[];
  /** Cursor of the last event of a full page, null when the page was not full. */
  nextCursor: number | null;
}

export interface EpisodicExpireResult {
  affected: number;
  /** Absent when nothing was affected. */
  seq?: number;
}

/** One item of `episodic.tail`: events in cursor order, with no gap and no duplicate. */
export type EpisodicTailItem = EpisodicWireEvent;
