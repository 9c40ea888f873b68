import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { IsJsonValue, IsKey, IsNamespace, IsStringMap } from '@memsidecar/api';

const MAX_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

class KvNamespaced {
  @IsNamespace()
  ns: string;
}

class KvRead extends KvNamespaced {
  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class KvPutInput extends KvNamespaced {
  @IsKey()
  key: string;

  @IsJsonValue()
  value: unknown;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_MS)
  ttlMs?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  ifVersion?: number;

  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;
}

export class KvGetInput extends KvRead {
  @IsKey()
  key: string;
}

export class KvMgetInput extends KvRead {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsKey({ each: true })
  keys: string[];
}

export class KvDeleteInput extends KvNamespaced {
  @IsKey()
  key: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  ifVersion?: number;
}

export class KvListInput extends KvRead {
  @IsOptional()
  @IsString()
  prefix?: string;

  @IsOptional()
  @IsKey()
  startAfter?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @IsOptional()
  @IsBoolean()
  includeValues?: boolean;
}
