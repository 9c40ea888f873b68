import { IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { Describe, IsKey, IsNamespace, IsStringMap } from '@memsidecar/api';

/** A lease lives at most a day without renewal. */
export const MAX_LEASE_TTL_MS = 86_400_000;

class LeaseNamespaced {
  @IsNamespace()
  ns: string;
}

class LeaseKeyed extends LeaseNamespaced {
  @IsKey()
  key: string;
}

/** A holderId is a server-generated UUID; anything else simply holds nothing. */
class LeaseHolderRequest extends LeaseKeyed {
  @Describe('the holderId that lease.acquire returned')
  @IsString()
  @Length(1, 128)
  holderId: string;
}

export class LeaseAcquireInput extends LeaseKeyed {
  /** At most a day. */
  @IsInt()
  @Min(1)
  @Max(MAX_LEASE_TTL_MS)
  ttlMs: number;

  /**
   * How long to wait for a held lease; 0 (the default) fails at once with FAILED_PRECONDITION/LEASE_HELD.
   * The upper bound is the configured `maxWaitMs`, checked by the operation.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  waitMs?: number;

  /** A label for people reading `inspect`, e.g. the worker's name. */
  @IsOptional()
  @IsString()
  @MaxLength(256)
  holder?: string;

  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;
}

export class LeaseRenewInput extends LeaseHolderRequest {
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_LEASE_TTL_MS)
  ttlMs?: number;
}

export class LeaseReleaseInput extends LeaseHolderRequest {}

export class LeaseInspectInput extends LeaseKeyed {
  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class LeaseListInput extends LeaseNamespaced {
  @IsOptional()
  @IsString()
  prefix?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}
