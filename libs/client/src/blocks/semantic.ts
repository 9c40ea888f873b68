import type {
  RecordDto,
  SemanticDeleteInput as SemanticDeleteInputDto,
  SemanticDeleteResult,
  SemanticExpireInput as SemanticExpireInputDto,
  SemanticExpireResult,
  SemanticIdHit,
  SemanticRevertInput as SemanticRevertInputDto,
  SemanticRevertResult,
  SemanticSearchInput as SemanticSearchInputDto,
  SemanticSearchResult,
  SemanticUpsertInput as SemanticUpsertInputDto,
  SemanticUpsertResult,
} from '@memsidecar/semantic';
import type { CallOptions } from '../caller';
import { method, type Call, type InputOf, type Method } from './method';

export type {
  SemanticDeleteResult,
  SemanticExpireResult,
  SemanticFusion,
  SemanticHit,
  SemanticHitExplanation,
  SemanticIdHit,
  SemanticLanePosition,
  SemanticMetadata,
  SemanticRevertResult,
  SemanticSearchExplanation,
  SemanticSearchResult,
  SemanticUpsertResult,
} from '@memsidecar/semantic';

/** One record: `content` (embedded by the namespace's embedder) or `vector` (of the namespace's dimension). */
export type SemanticRecordInput = InputOf<RecordDto>;

export type SemanticUpsertInput = InputOf<SemanticUpsertInputDto>;

export interface SemanticPredicate {
  field: string;
  op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in';
  value: unknown;
}

/** `queryText` or `queryVector`; `sparse` and `hybrid` need `queryText`. */
export type SemanticSearchInput = InputOf<SemanticSearchInputDto>;

export type SemanticDeleteInput = InputOf<SemanticDeleteInputDto>;

export type SemanticRevertInput = InputOf<SemanticRevertInputDto>;

export type SemanticExpireInput = InputOf<SemanticExpireInputDto>;

export interface SemanticClient {
  upsert: Method<SemanticUpsertInput, SemanticUpsertResult>;
  search: {
    (input: SemanticSearchInput & { idsOnly: true }, options?: CallOptions): Promise<SemanticSearchResult<SemanticIdHit>>;
    (input: SemanticSearchInput, options?: CallOptions): Promise<SemanticSearchResult>;
  };
  delete: Method<SemanticDeleteInput, SemanticDeleteResult>;
  revert: Method<SemanticRevertInput, SemanticRevertResult>;
  expire: Method<SemanticExpireInput, SemanticExpireResult>;
}

export const semanticClient = (call: Call): SemanticClient => ({
  upsert: method(call, 'semantic.upsert'),
  search: method(call, 'semantic.search'),
  delete: method(call, 'semantic.delete'),
  revert: method(call, 'semantic.revert'),
  expire: method(call, 'semantic.expire'),
});
