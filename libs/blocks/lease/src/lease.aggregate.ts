import { aggregateSubject } from '@memsidecar/core';
import type { AggregateType } from '@memsidecar/event-store';
import { leaseDecider, type LeaseCommand, type LeaseState } from './lease.decider';
import type { LeaseEvent } from './lease.events';

/** One aggregate per lease key. */
export const leaseAggregate: AggregateType<LeaseState, LeaseCommand, LeaseEvent> = {
  block: 'lease',
  decider: leaseDecider,
  history: 'last-event',
};

export const leaseAddress = (tenant: string, ns: string, key: string) => ({ tenant, ns, entity: key });

/** The subject the key's events are appended to; waiting acquirers listen there. */
export const leaseSubject = (prefix: string, tenant: string, ns: string, key: string): string =>
  aggregateSubject(prefix, { block: 'lease', ...leaseAddress(tenant, ns, key) });
