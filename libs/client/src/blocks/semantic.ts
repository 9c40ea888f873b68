import type { CallOptions } from '../caller';
import { method, type Call, type Metadata, type Method, type ReadInput } from './method';

/** One record: `content` (embedded by the namespace's embedder) or `vector` (of the namespace's dimension). */
export interface SemanticRecordInput {
  /** 1-128 characters of `[A-Za-z0-9_.:-]`; generated when absent. */
  id?: string;
  content?: string;
  vector?: number[];
  payload?: unknown;
  metadata?: Metadata;
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
  /** `dense` (cosine, the default), `sparse` (full-text rank) or `hybrid` (reciprocal-rank fusion). */
  mode?: 'dense' | 'sparse' | 'hybrid';
  /** Exact-match AND on metadata. */
  filter?: Metadata;
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

export interface SemanticIdHit {
  id: string;
  score: number;
}

export interface SemanticHit extends SemanticIdHit {
  content: string | null;
  metadata: Metadata;
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
  filter: Metadata;
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
