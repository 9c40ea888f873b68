import { IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { Describe, IsDerivedFrom } from '@memsidecar/api';

const SCOPE = 'scope label: a unit of work such as a feature or a bug fix';

const NS = /^[A-Za-z0-9_.:-]{1,128}$/;
const NS_MESSAGE = { message: 'must be 1-128 characters of [A-Za-z0-9_.:-]' };

class InNamespace {
  /** `default` when absent, in every facts operation. */
  @IsOptional()
  @Matches(NS, NS_MESSAGE)
  ns?: string;
}

export class FactsWriteInput extends InNamespace {
  /** One line `T[target]: content`; anything else → INVALID_ARGUMENT naming the expected form. */
  @Describe('one fact in MEMORY_SPEC notation: "T[target]: content"')
  @IsString()
  @Length(1, 8192)
  content: string;

  @Describe(SCOPE)
  @IsOptional()
  @IsString()
  @Length(1, 128)
  scope?: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  sessionId?: string;

  @IsDerivedFrom()
  derivedFrom?: number[];
}

export class FactsSearchInput extends InNamespace {
  @IsString()
  @Length(1, 512)
  query: string;

  /** An unknown scope → NOT_FOUND. */
  @Describe(SCOPE)
  @IsOptional()
  @IsString()
  @Length(1, 128)
  scope?: string;

  /** Default 5, at most 20. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  limit?: number;
}

export class FactsTickInput extends InNamespace {
  @IsString()
  @Length(1, 128)
  sessionId: string;

  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  turn: number;

  @IsString()
  @Length(0, 10_000)
  message: string;
}

export class FactsStatusInput extends InNamespace {
  @IsOptional()
  @IsString()
  @Length(1, 128)
  sessionId?: string;
}

export class FactsReflectInput extends InNamespace {
  @IsString()
  @Length(1, 512)
  topic: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(20)
  limit?: number;
}

export class FactsExportInput extends InNamespace {
  @Describe(SCOPE)
  @IsOptional()
  @IsString()
  @Length(1, 128)
  scope?: string;

  /** Default `all`. */
  @IsOptional()
  @IsIn(['active', 'cold', 'all'])
  status?: 'active' | 'cold' | 'all';
}

export class FactsPurgeInput extends InNamespace {
  @Describe(SCOPE)
  @IsOptional()
  @IsString()
  @Length(1, 128)
  scope?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(36_500)
  olderThanDays?: number;
}

export class FactsRevertInput extends InNamespace {
  @Describe('the fact to restore: an `id` from facts.write, search or export')
  @IsUUID('all')
  id: string;

  @Describe('the log sequence whose state of the fact to restore (a `seq` from an earlier reply, the audit log or the export)')
  @IsInt()
  @Min(1)
  toSeq: number;
}
