import { method, type Call, type Metadata, type Method, type ReadInput } from './method';

export interface LeaseAcquireInput {
  ns: string;
  key: string;
  /** At most a day. */
  ttlMs: number;
  /** How long to wait for a held lease; 0 (the default) fails at once with FAILED_PRECONDITION/LEASE_HELD. */
  waitMs?: number;
  /** A label for people reading `inspect`, e.g. the worker's name. */
  holder?: string;
  metadata?: Metadata;
}

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

export interface LeaseRenewInput {
  ns: string;
  key: string;
  holderId: string;
  ttlMs?: number;
}

/** Wrong holder or expired → FAILED_PRECONDITION/NOT_HOLDER. */
export interface LeaseRenewResult {
  expiresAt: string;
  fencingToken: number;
  seq: number;
}

export interface LeaseReleaseInput {
  ns: string;
  key: string;
  holderId: string;
}

export interface LeaseReleaseResult {
  existed: boolean;
  seq?: number;
}

export interface LeaseInspectInput extends ReadInput {
  ns: string;
  key: string;
}

export interface LeaseHolding {
  holderId: string;
  holder: string | null;
  fencingToken: number;
  acquiredAt: string;
  expiresAt: string;
  metadata: Metadata;
}

export type LeaseInspectResult = ({ held: true } & LeaseHolding) | { held: false };

export interface LeaseListInput extends ReadInput {
  ns: string;
  prefix?: string;
}

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
