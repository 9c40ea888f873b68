import { requestIdReused, invalidArgument, newId, type StoredEvent } from '@memsidecar/core';
import { commandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import type { LeaseCommand } from './lease.decider';
import type { LeaseData, LeaseEvent } from './lease.events';
import { LeaseAcquireInput, LeaseInspectInput, LeaseListInput, LeaseReleaseInput, LeaseRenewInput } from './lease.dto';
import type { LeaseAcquireResult, LeaseHolding, LeaseInspectResult, LeaseListResult, LeaseReleaseResult, LeaseRenewResult } from './lease.replies';
import { leaseAddress, leaseAggregate, leaseSubject } from './lease.aggregate';
import { LeaseQueries, type LeaseRow } from './lease.queries';
import { withLeaseWait } from './lease.wait';

const details = (row: LeaseRow): LeaseHolding => ({
  holderId: row.holder_id,
  holder: row.holder,
  fencingToken: Number(row.fencing_token),
  acquiredAt: row.acquired_at.toISOString(),
  expiresAt: row.expires_at.toISOString(),
  metadata: row.metadata ?? {},
});

/** A repeated request id must name the same kind of change it named the first time. */
function dataOf(event: StoredEvent<LeaseEvent> | null, type: LeaseEvent['type']): LeaseData {
  if (!event || event.type !== type)
    throw requestIdReused();
  return event.data as LeaseData;
}

export function leaseOperations(deps: BlockDependencies): Operation[] {
  const queries = new LeaseQueries(deps.db);
  const run = (ctx: RequestContext, ns: string, key: string, command: LeaseCommand, now = ctx.now) =>
    deps.runtime.handle(leaseAggregate, leaseAddress(ctx.principal.tenant, ns, key), command, { ...commandMeta(ctx), now });

  return [
    operation<LeaseAcquireInput, LeaseAcquireResult>('lease', 'acquire', {
      mutation: true,
      input: LeaseAcquireInput,
      async handle(i, ctx) {
        const waitMs = i.waitMs ?? 0;
        if (waitMs > deps.limits.maxWaitMs) throw invalidArgument('waitMs', `must not be greater than ${deps.limits.maxWaitMs}`);
        const holderId = newId();
        const command: LeaseCommand = { type: 'AcquireLease', holderId, ttlMs: i.ttlMs, holder: i.holder, metadata: i.metadata, sessionId: ctx.sessionId };
        const subject = leaseSubject(deps.store.prefix, ctx.principal.tenant, i.ns, i.key);
        // Later attempts decide at the time they are made (on the block's clock), so expiry is judged then.
        const { event } = await withLeaseWait(deps.store, subject, deps.clock, ctx.now, waitMs, (now) => run(ctx, i.ns, i.key, command, now));
        const d = dataOf(event, 'lease.acquired');
        return { key: i.key, holderId: d.holderId, fencingToken: d.fencingToken, acquiredAt: d.acquiredAt, expiresAt: d.expiresAt, seq: event!.seq };
      },
    }),
    operation<LeaseRenewInput, LeaseRenewResult>('lease', 'renew', {
      mutation: true,
      input: LeaseRenewInput,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.ns, i.key, { type: 'RenewLease', holderId: i.holderId, ttlMs: i.ttlMs });
        const d = dataOf(event, 'lease.renewed');
        return { expiresAt: d.expiresAt, fencingToken: d.fencingToken, seq: event!.seq };
      },
    }),
    operation<LeaseReleaseInput, LeaseReleaseResult>('lease', 'release', {
      mutation: true,
      input: LeaseReleaseInput,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.ns, i.key, { type: 'ReleaseLease', holderId: i.holderId, reason: 'released' });
        if (!event) return { existed: false };
        dataOf(event, 'lease.released');
        return { existed: true, seq: event.seq };
      },
    }),
    operation<LeaseInspectInput, LeaseInspectResult>('lease', 'inspect', {
      mutation: false,
      input: LeaseInspectInput,
      async handle(i, ctx) {
        await deps.readModels.ready('lease', i.minSeq);
        const row = await queries.live(ctx.principal.tenant, i.ns, i.key, ctx.now);
        return row ? { held: true, ...details(row) } : { held: false };
      },
    }),
    operation<LeaseListInput, LeaseListResult>('lease', 'list', {
      mutation: false,
      input: LeaseListInput,
      async handle(i, ctx) {
        await deps.readModels.ready('lease', i.minSeq);
        const rows = await queries.list(ctx.principal.tenant, i.ns, i.prefix ?? '', ctx.now);
        return { items: rows.map((row) => ({ key: row.key, ...details(row) })) };
      },
    }),
  ];
}
