import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Describe, IsDerivedFrom, IsNamespace, IsScalarMap } from '@memsidecar/api';
import type { MetadataValue } from './semantic.events';

const RECORD_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const RECORD_ID_MESSAGE = { message: 'must be 1-128 characters of [A-Za-z0-9_.:-]' };
const MAX_DIMENSION = 4096;

export class RecordDto {
  /** 1-128 characters of `[A-Za-z0-9_.:-]`; generated when absent. */
  @IsOptional()
  @Matches(RECORD_ID, RECORD_ID_MESSAGE)
  id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(32_768)
  content?: string;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DIMENSION)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  vector?: number[];

  @IsOptional()
  payload?: unknown;

  @IsOptional()
  @IsScalarMap()
  metadata?: Record<string, MetadataValue>;

  @IsOptional()
  @IsISO8601({ strict: true })
  validFrom?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  validTo?: string;

  /** Ids whose validity closes at this record's `validFrom`. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(RECORD_ID, { each: true, ...RECORD_ID_MESSAGE })
  supersedes?: string[];

  /** A mismatch rejects the whole batch. */
  @IsOptional()
  @IsInt()
  @Min(0)
  ifVersion?: number;
}

export class SemanticUpsertInput {
  @IsNamespace()
  ns: string;

  /** 1-100 records. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => RecordDto)
  records: RecordDto[];

  /** Applies to every record of the batch. */
  @IsDerivedFrom()
  derivedFrom?: number[];
}

export class PredicateDto {
  @IsString()
  @Length(1, 128)
  field: string;

  @IsIn(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in'])
  op: 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in';

  @IsDefined()
  value: unknown;
}

export class FusionWeightsDto {
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1000)
  dense: number;

  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1000)
  sparse: number;
}

export class FusionDto {
  @IsIn(['linear', 'rrf'])
  method: 'linear' | 'rrf';

  /** RRF's rank constant. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  k?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => FusionWeightsDto)
  weights?: FusionWeightsDto;

  @Describe("the share of its neighbours' fused score (records written just before and after it) a record gains; 0 turns it off")
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  neighbors?: number;
}

export class SemanticSearchInput {
  @IsNamespace()
  ns: string;

  @Describe('the text to search for (embedded for dense search, tokenised for sparse)')
  @IsOptional()
  @IsString()
  @Length(1, 8192)
  queryText?: string;

  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DIMENSION)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { each: true })
  queryVector?: number[];

  /** Default 10. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  topK?: number;

  /** `dense` (cosine, the default), `sparse` (BM25, any term matching) or `hybrid` (both lanes fused). */
  @IsOptional()
  @IsIn(['dense', 'sparse', 'hybrid'])
  mode?: 'dense' | 'sparse' | 'hybrid';

  /** Exact-match AND on metadata. */
  @IsOptional()
  @IsScalarMap()
  filter?: Record<string, MetadataValue>;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @ValidateNested({ each: true })
  @Type(() => PredicateDto)
  predicates?: PredicateDto[];

  /** How hybrid search merges its lanes, hybrid mode only; default `{method: 'linear', weights: {dense: 0.45, sparse: 0.55}}`, rrf's default k is 10. */
  @IsOptional()
  @ValidateNested()
  @Type(() => FusionDto)
  fusion?: FusionDto;

  /** Each hit says why it was found (every lane's rank and score, and the fused score); the result says what each lane searched for. */
  @IsOptional()
  @IsBoolean()
  explain?: boolean;

  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  minScore?: number;

  /** Records valid at this time instead of now. */
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;

  @IsOptional()
  @IsBoolean()
  includeInvalidated?: boolean;

  @IsOptional()
  @IsBoolean()
  includePayload?: boolean;

  @IsOptional()
  @IsBoolean()
  includeVector?: boolean;

  /** Hits carry `id` and `score` only. */
  @IsOptional()
  @IsBoolean()
  idsOnly?: boolean;

  @IsOptional()
  @IsISO8601({ strict: true })
  createdAfter?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  createdBefore?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class SemanticRevertInput {
  @IsNamespace()
  ns: string;

  @Matches(RECORD_ID, RECORD_ID_MESSAGE)
  id: string;

  @Describe('the log sequence whose state of the record to restore (a `seq` from an earlier reply, the audit log or the export)')
  @IsInt()
  @Min(1)
  toSeq: number;
}

export class SemanticDeleteInput {
  @IsNamespace()
  ns: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @Matches(RECORD_ID, { each: true, ...RECORD_ID_MESSAGE })
  ids: string[];

  @IsOptional()
  @IsBoolean()
  hard?: boolean;
}

export class SemanticExpireInput {
  @IsNamespace()
  ns: string;

  @IsScalarMap()
  filter: Record<string, MetadataValue>;

  @IsIn(['invalidate', 'soft', 'hard'])
  action: 'invalidate' | 'soft' | 'hard';

  @IsInt()
  @Min(1)
  @Max(10_000)
  maxRows: number;
}
