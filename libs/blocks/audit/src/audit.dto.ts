import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { BLOCKS } from '@memsidecar/core';
import { Describe, IsIsoTime, IsNamespace } from '@memsidecar/api';

/** An event type (`kv.value_set`) or a prefix of types ending in `*` (`kv.*`, or `*` for all). */
const TYPE_PATTERN = /^[A-Za-z0-9_.:-]{0,127}\*?$/;

export class AuditQueryInput {
  /** The first stream sequence to return (inclusive). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  fromSeq?: number;

  /** Event time, inclusive. */
  @IsOptional()
  @IsIsoTime()
  since?: string;

  /** Event time, exclusive. */
  @IsOptional()
  @IsIsoTime()
  until?: string;

  @IsOptional()
  @IsIn(BLOCKS)
  block?: string;

  @IsOptional()
  @IsNamespace()
  ns?: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  agent?: string;

  /** Events written under the session, and the session's own events. */
  @IsOptional()
  @IsString()
  @Length(1, 128)
  sessionId?: string;

  /** Event types, e.g. `kv.value_set`, or prefixes ending in `*`, e.g. `kv.*`. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  @Matches(TYPE_PATTERN, { each: true, message: 'each value must be an event type, or a prefix of one ending in *' })
  types?: string[];

  /** At most the configured list limit; checked by the operation. */
  @IsOptional()
  @IsInt()
  @Min(1)
  limit?: number;

  /** Wait until the audit read model holds the log up to this sequence. */
  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

/** Whom an erasure forgets: the caller's own tenant, or one namespace of it. */
export class ErasureSubjectDto {
  @Describe("the caller's own tenant, named to confirm it (another tenant is PERMISSION_DENIED)")
  @IsString()
  @Length(1, 64)
  tenant!: string;

  @Describe('one namespace (across every block); without it, the whole tenant')
  @IsOptional()
  @IsNamespace()
  ns?: string;
}

export class AuditEraseInput {
  @Describe('what to erase: its data keys are destroyed, its read-model rows, blobs and cached state deleted')
  @IsDefined()
  @ValidateNested()
  @Type(() => ErasureSubjectDto)
  subject!: ErasureSubjectDto;
}
