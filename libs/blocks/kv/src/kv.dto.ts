import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Describe, IsDerivedFrom, IsJsonValue, IsKey, IsNamespace, IsStringMap } from '@memsidecar/api';

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
  /** 1-512 bytes of UTF-8, no NUL. */
  @IsKey()
  key: string;

  /** Any JSON value. */
  @IsJsonValue()
  value: unknown;

  /** Without it, an earlier expiry is cleared. */
  @Describe('expires the key after this many milliseconds; without it, an earlier expiry is cleared')
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_MS)
  ttlMs?: number;

  /** Compare-and-set: the version the key must have now; `0` means create-only. Mismatch → FAILED_PRECONDITION/VERSION_MISMATCH. */
  @Describe('compare-and-set: the version the key must have now; 0 means create only')
  @IsOptional()
  @IsInt()
  @Min(0)
  ifVersion?: number;

  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;

  @IsDerivedFrom()
  derivedFrom?: number[];
}

export class KvGetInput extends KvRead {
  @IsKey()
  key: string;
}

export class KvMgetInput extends KvRead {
  /** 1-1000 keys. */
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

export class KvRevertInput extends KvNamespaced {
  @IsKey()
  key: string;

  @Describe('the log sequence whose state of the key to restore (a `seq` from an earlier reply, the audit log or the export)')
  @IsInt()
  @Min(1)
  toSeq: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  ifVersion?: number;
}

export class KvListInput extends KvRead {
  @IsOptional()
  @IsString()
  prefix?: string;

  /** Exclusive: the last key of the previous page, in the order of the listing. */
  @IsOptional()
  @IsKey()
  startAfter?: string;

  /** Descending key order: `startAfter` then names the key the page ends below. */
  @Describe('descending key order; startAfter then bounds the page from above')
  @IsOptional()
  @IsBoolean()
  reverse?: boolean;

  /** Default 100, at most 1000. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @IsOptional()
  @IsBoolean()
  includeValues?: boolean;
}
