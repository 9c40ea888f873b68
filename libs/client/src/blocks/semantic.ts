import type { RecordDto, SemanticDeleteInput as SemanticDeleteInputDto, SemanticExpireInput as SemanticExpireInputDto, SemanticSearchInput as SemanticSearchInputDto, SemanticUpsertInput as SemanticUpsertInputDto } from '@memsidecar/semantic';
import type { CallOptions } from '../caller';
import { method, type Call, type InputOf, type Method } from './method';

/** Semantic metadata values: strings, finite numbers or booleans; filters keep their types. */
export type SemanticMetadata = Record<string, string | number | boolean>;

/** One record: `content` (embedded by the namespace's embedder) or `vector` (of the namespace's dimension). */
export type SemanticRecordInput = InputOf<RecordDto>;

export type SemanticUpsertInput = InputOf<SemanticUpsertInputDto>;

export interface SemanticUpsertResult {
  items: { id: string; version: number }[];
  seq: number;
}

export interface SemanticPredicate {
  field: string;
  op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in';
  value: unknown;
}

/** `queryText` or `queryVector`; `sparse` and `hybrid` need `queryText`. */
export type SemanticSearchInput = InputOf<SemanticSearchInputDto>;

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
  /** With `includePayload`. */
  payload?: unknown;
  /** With `includeVector`. */
  vector?: number[];
}

export interface SemanticSearchResult<Hit = SemanticHit> {
  /** Best first. */
  hits: Hit[];
  /** With `explain`. */
  explain?: SemanticSearchExplanation;
}

export type SemanticDeleteInput = InputOf<SemanticDeleteInputDto>;

export interface SemanticDeleteResult {
  /** One per id, in order. */
  existed: boolean[];
  seq?: number;
}

export type SemanticExpireInput = InputOf<SemanticExpireInputDto>;

export interface SemanticExpireResult {
  affected: number;
  seq?: number;
}

export interface SemanticClient {
  upsert: Method<SemanticUpsertInput, SemanticUpsertResult>;
  search: {
    (input: SemanticSearchInput & { idsOnly: true }, options?: CallOptions): Promise<SemanticSearchResult<SemanticIdHit>>;
    (input: SemanticSearchInput, options?: CallOptions): Promise<SemanticSearchResult>;
  };
  delete: Method<SemanticDeleteInput, SemanticDeleteResult>;
  expire: Method<SemanticExpireInput, SemanticExpireResult>;
}

export const semanticClient = (call: Call): SemanticClient => ({
  upsert: method(call, 'semantic.upsert'),
  search: method(call, 'semantic.search'),
  delete: method(call, 'semantic.delete'),
  expire: method(call, 'semantic.expire'),
});
