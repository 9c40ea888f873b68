import type { CallOptions } from '../caller';
import { method, type Call, type Method, type ReadInput } from './method';

/** Semantic metadata values: strings, finite numbers or booleans; filters keep their types. */
export type SemanticMetadata = Record<string, string | number | boolean>;

/** One record: `content` (embedded by the namespace's embedder) or `vector` (of the namespace's dimension). */
export interface SemanticRecordInput {
  /** 1-128 characters of `[A-Za-z0-9_.:-]`; generated when absent. */
  id?: string;
  content?: string;
  vector?: number[];
  payload?: unknown;
  metadata?: SemanticMetadata;
  validFrom?: string;
  validTo?: string;
  /** Ids whose validity closes at this record's `validFrom`. */
  supersedes?: string[];
  /** A mismatch rejects the whole batch. */
  ifVersion?: number;
}

export interface SemanticUpsertInput {
  ns: string;
  /** 1-100 records. */
  records: SemanticRecordInput[];
}

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
export interface SemanticSearchInput extends ReadInput {
  ns: string;
  queryText?: string;
  queryVector?: number[];
  /** Default 10. */
  topK?: number;
  /** `dense` (cosine, the default), `sparse` (BM25, any term matching) or `hybrid` (both lanes fused). */
  mode?: 'dense' | 'sparse' | 'hybrid';
  /** Hybrid only; default `{method: 'linear', weights: {dense: 0.45, sparse: 0.55}}`, rrf's default k is 10. */
  fusion?: SemanticFusion;
  /** Each hit says where it stood in each lane; the result says what each lane searched for. */
  explain?: boolean;
  /** Exact-match AND on metadata. */
  filter?: SemanticMetadata;
  predicates?: SemanticPredicate[];
  minScore?: number;
  /** Records valid at this time instead of now. */
  asOf?: string;
  includeInvalidated?: boolean;
  includePayload?: boolean;
  includeVector?: boolean;
  /** Hits carry `id` and `score` only. */
  idsOnly?: boolean;
  createdAfter?: string;
  createdBefore?: string;
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

export interface SemanticDeleteInput {
  ns: string;
  ids: string[];
  hard?: boolean;
}

export interface SemanticDeleteResult {
  /** One per id, in order. */
  existed: boolean[];
  seq?: number;
}

export interface SemanticExpireInput {
  ns: string;
  filter: SemanticMetadata;
  action: 'invalidate' | 'soft' | 'hard';
  maxRows: number;
}

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
