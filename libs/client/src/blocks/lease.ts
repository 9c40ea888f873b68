import type { LeaseAcquireInput as LeaseAcquireInputDto, LeaseInspectInput as LeaseInspectInputDto, LeaseListInput as LeaseListInputDto, LeaseReleaseInput as LeaseReleaseInputDto, LeaseRenewInput as LeaseRenewInputDto } from '@memsidecar/lease';
import { method, type Call, type Metadata, type InputOf, type Method } from './method';

export type LeaseAcquireInput = InputOf<LeaseAcquireInputDto>;

export interface LeaseAcquireResult {
  key: string;
  /** Proves holding to `renew` and `release`. */
  holderId: string;
  /** Strictly increases with every successful acquire of the key: pass it to what the lease protects. */
  fencingToken: number;
  acquiredAt: string;
  expiresAt: string;
  seq: number;
}

export type LeaseRenewInput = InputOf<LeaseRenewInputDto>;

/** Wrong holder or expired → FAILED_PRECONDITION/NOT_HOLDER. */
export interface LeaseRenewResult {
  expiresAt: string;
  fencingToken: number;
  seq: number;
}

export type LeaseReleaseInput = InputOf<LeaseReleaseInputDto>;

export interface LeaseReleaseResult {
  existed: boolean;
  seq?: number;
}

export type LeaseInspectInput = InputOf<LeaseInspectInputDto>;

export interface LeaseHolding {
  holderId: string;
  holder: string | null;
  fencingToken: number;
  acquiredAt: string;
  expiresAt: string;
  metadata: Metadata;
}

export type LeaseInspectResult = ({ held: true } & LeaseHolding) | { held: false };

export type LeaseListInput = InputOf<LeaseListInputDto>;

export interface LeaseListResult {
  /** Leases held now. */
  items: ({ key: string } & LeaseHolding)[];
}

export interface LeaseClient {
  acquire: Method<LeaseAcquireInput, LeaseAcquireResult>;
  renew: Method<LeaseRenewInput, LeaseRenewResult>;
  release: Method<LeaseReleaseInput, LeaseReleaseResult>;
  inspect: Method<LeaseInspectInput, LeaseInspectResult>;
  list: Method<LeaseListInput, LeaseListResult>;
}

/** The reply to a waiting acquire comes after up to `waitMs`: the attempt must outlast the wait. */
const WAIT_SLACK_MS = 10_000;

export function leaseClient(call: Call): LeaseClient {
  const acquire = method<LeaseClient['acquire']>(call, 'lease.acquire');
  return {
    acquire: (input, options) => acquire(input, input.waitMs && !options?.timeoutMs ? { ...options, timeoutMs: input.waitMs + WAIT_SLACK_MS } : options),
    renew: method(call, 'lease.renew'),
    release: method(call, 'lease.release'),
    inspect: method(call, 'lease.inspect'),
    list: method(call, 'lease.list'),
  };
}
