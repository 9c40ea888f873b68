import type { Provenance } from '@memsidecar/core';

/** Semantic metadata values: strings, finite numbers or booleans; filters keep their types. */
export type SemanticMetadata = Record<string, string | number | boolean>;

export interface SemanticUpsertResult {
  items: { id: string; version: number }[];
  seq: number;
}

export interface SemanticFusion {
  method: 'linear' | 'rrf';
  /** rrf only. */
  k?: number;
  weights?: { dense: number; sparse: number };
}

/** A hit's 1-based rank and the lane's own score (cosine for dense, BM25 for sparse). */
export interface SemanticLanePosition {
  rank: number;
  score: number;
}

/** With `explain`: each lane that ran, null where the hit was not among its candidates. */
export interface SemanticHitExplanation {
  dense?: SemanticLanePosition | null;
  sparse?: (SemanticLanePosition & { terms: string[] }) | null;
  /** Hybrid only. */
  fused?: number;
}

export interface SemanticSearchExplanation {
  mode: 'dense' | 'sparse' | 'hybrid';
  denseQuery?: string;
  sparseTerms?: string[];
  fusion?: SemanticFusion;
  depth?: number;
}

export interface SemanticIdHit {
  id: string;
  score: number;
  explain?: SemanticHitExplanation;
}

export interface SemanticHit extends SemanticIdHit {
  content: string | null;
  metadata: SemanticMetadata;
  version: number;
  validFrom: string;
  validTo: string | null;
  /** Of the upsert that wrote the record's current version. */
  provenance?: Provenance;
  /** With `includePayload`. */
  payload?: unknown;
  /** With `includeVector`. */
  vector?: number[];
}

/** `SemanticSearchResult<SemanticIdHit>` with `idsOnly`. */
export interface SemanticSearchResult<Hit = SemanticHit> {
  /** Best first. */
  hits: Hit[];
  /** With `explain`. */
  explain?: SemanticSearchExplanation;
}

export interface SemanticRevertResult {
  /** What the record is now: as it stood at `toSeq` (content, vector, payload, metadata, validity), or absent. */
  restored: 'record' | 'absent';
  /** The last event that changed the record by `toSeq`; null when none had. */
  fromSeq: number | null;
  /** The record's version after the revert; absent when it is absent. */
  version?: number;
  /** The revert's own event; absent when nothing had to change. */
  seq?: number;
}

export interface SemanticDeleteResult {
  /** One per id, in order. */
  existed: boolean[];
  seq?: number;
}

export interface SemanticExpireResult {
  affected: number;
  seq?: number;
}
