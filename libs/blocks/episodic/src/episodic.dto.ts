import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
} from 'class-validator';
import { Describe, IsDerivedFrom, IsNamespace, IsStringMap } from '@memsidecar/api';

const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

class Namespaced {
  @IsNamespace()
  ns: string;
}

export class EpisodicAppendInput extends Namespaced {
  @Describe('what happened, e.g. message or tool_call')
  @IsString()
  @Length(1, 128)
  type: string;

  @IsOptional()
  payload?: unknown;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  sessionId?: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  role?: string;

  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;

  /** A repeated non-empty key returns the original event with `deduplicated: true` and writes nothing. */
  @Describe('a repeated non-empty key returns the original event and writes nothing')
  @IsOptional()
  @IsString()
  @Length(0, 256)
  dedupKey?: string;

  /** Ids of events this one hides from default reads; unknown ids are ignored. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  supersedes?: string[];

  @IsDerivedFrom()
  derivedFrom?: number[];
}

export class EpisodicRangeInput extends Namespaced {
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_CURSOR)
  afterCursor?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CURSOR)
  beforeCursor?: number;

  @IsOptional()
  @IsISO8601({ strict: true })
  after?: string;

  @IsOptional()
  @IsISO8601({ strict: true })
  before?: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  sessionId?: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  role?: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  type?: string;

  /** Applied after `reverse`. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  /** Newest first. */
  @IsOptional()
  @IsBoolean()
  reverse?: boolean;

  @IsOptional()
  @IsBoolean()
  includeDeleted?: boolean;

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class EpisodicExpireInput extends Namespaced {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CURSOR)
  beforeCursor?: number;

  @IsOptional()
  @IsISO8601({ strict: true })
  before?: string;

  @IsIn(['soft', 'hard'])
  action: 'soft' | 'hard';

  @IsInt()
  @Min(1)
  @Max(10_000)
  maxRows: number;
}

export class EpisodicTailInput extends Namespaced {
  /** History after this cursor first, then live events; without it the tail starts at the live edge. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_CURSOR)
  afterCursor?: number;

  /** The service's default is 1000. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  maxEvents?: number;

  /** The service's default is 30 s. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3_600_000)
  maxMs?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}
