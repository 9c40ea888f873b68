import type {
  LeaseAcquireInput as LeaseAcquireInputDto,
  LeaseAcquireResult,
  LeaseInspectInput as LeaseInspectInputDto,
  LeaseInspectResult,
  LeaseListInput as LeaseListInputDto,
  LeaseListResult,
  LeaseReleaseInput as LeaseReleaseInputDto,
  LeaseReleaseResult,
  LeaseRenewInput as LeaseRenewInputDto,
  LeaseRenewResult,
} from '@memsidecar/lease';
import { method, type Call, type InputOf, type Method } from './method';

export type { LeaseAcquireResult, LeaseHolding, LeaseInspectResult, LeaseListResult, LeaseReleaseResult, LeaseRenewResult } from '@memsidecar/lease';

export type LeaseAcquireInput = InputOf<LeaseAcquireInputDto>;

export type LeaseRenewInput = InputOf<LeaseRenewInputDto>;

export type LeaseReleaseInput = InputOf<LeaseReleaseInputDto>;

export type LeaseInspectInput = InputOf<LeaseInspectInputDto>;

export type LeaseListInput = InputOf<LeaseListInputDto>;

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
