import { requestIdReused, MemError, aggregateSubject, invalidArgument, newId } from '@memsidecar/core';
import type { AggregateType } from '@memsidecar/event-store';
import { assertJsonSize, commandMeta, defaultWithinCap, derivedCommandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import { episodicDecider, type EpisodicCommand, type EpisodicState } from './episodic.decider';
import type { EpisodicEvent, EpisodicEventAppendedData } from './episodic.events';
import { EpisodicAppendInput, EpisodicExpireInput, EpisodicRangeInput, EpisodicTailInput } from './episodic.dto';
import type { EpisodicAppendResult, EpisodicExpireResult, EpisodicRangeResult, EpisodicTailItem } from './episodic.replies';
import { EpisodicQueries, toWireEvent } from './episodic.queries';
import { tailEvents } from './episodic.tail';

/** The aggregate is one namespace's log. */
export const NAMESPACE_LOG = 'log';

/**
 * Dedup keys and expiry candidates live in the read model. The look-up runs inside the aggregate's
 * mailbox once the read model holds everything up to the sequence the decision is based on, and
 * the expected-sequence append then makes its answer exact.
 */
export function episodicAggregate(deps: BlockDependencies): AggregateType<EpisodicState, EpisodicCommand, EpisodicEvent> {
  const queries = new EpisodicQueries(deps.db);
  return {
    block: 'episodic',
    decider: episodicDecider,
    history: 'last-event',
    async prepare(command, current, { tenant, ns }) {
      if (command.type === 'AppendEvent' && !command.dedupKey) return command;
      await deps.readModels.ready('episodic', current.seq || undefined);
      if (command.type === 'ExpireEvents') {
        return { ...command, cursors: await queries.expirable(tenant, ns, { ...command.selection, action: command.action }) };
      }
      const existing = await queries.byDedupKey(tenant, ns, command.dedupKey!);
      return existing ? { ...command, duplicateOf: { cursor: Number(existing.cursor) } } : command;
    },
  };
}

export function episodicOperations(deps: BlockDependencies): Operation[] {
  const queries = new EpisodicQueries(deps.db);
  const aggregate = episodicAggregate(deps);
  const run = (ctx: RequestContext, ns: string, command: EpisodicCommand, meta = commandMeta(ctx)) =>
    deps.runtime.handle(aggregate, { tenant: ctx.principal.tenant, ns, entity: NAMESPACE_LOG }, command, meta);

  return [
    operation<EpisodicAppendInput, EpisodicAppendResult>('episodic', 'append', {
      mutation: true,
      input: EpisodicAppendInput,
      async handle(i, ctx) {
        if (i.payload !== undefined) assertJsonSize('payload', i.payload, deps.limits.maxValueBytes);
        const command: EpisodicCommand = {
          type: 'AppendEvent',
          eventId: newId(),
          eventType: i.type,
          payload: i.payload,
          role: i.role,
          sessionId: i.sessionId,
          metadata: i.metadata,
          dedupKey: i.dedupKey,
          supersedes: i.supersedes,
        };
        const { event } = await run(ctx, i.ns, command, await derivedCommandMeta(deps.store, ctx, i.derivedFrom));
        if (event) {
          if (event.type !== 'episodic.event_appended') throw requestIdReused();
          const d = event.data as EpisodicEventAppendedData;
          return { id: d.eventId, cursor: d.cursor, createdAt: d.createdAt, deduplicated: false, seq: event.seq };
        }
        const original = await queries.byDedupKey(ctx.principal.tenant, i.ns, i.dedupKey!);
        if (!original) throw new MemError('INTERNAL', 'a deduplicated append found no original event');
        return { id: original.id, cursor: Number(original.cursor), createdAt: original.created_at.toISOString(), deduplicated: true, seq: Number(original.seq) };
      },
    }),
    operation<EpisodicRangeInput, EpisodicRangeResult>('episodic', 'range', {
      mutation: false,
      input: EpisodicRangeInput,
      async handle(i, ctx) {
        await deps.readModels.ready('episodic', i.minSeq);
        const limit = i.limit ?? defaultWithinCap(ctx, 'limit', deps.limits.defaultListLimit);
        const filter = { ...i, after: i.after ? new Date(i.after) : undefined, before: i.before ? new Date(i.before) : undefined };
        const rows = await queries.range(ctx.principal.tenant, i.ns, filter, limit, i.reverse ?? false);
        return { events: rows.map(toWireEvent), nextCursor: rows.length === limit ? Number(rows[rows.length - 1].cursor) : null };
      },
    }),
    operation<EpisodicExpireInput, EpisodicExpireResult>('episodic', 'expire', {
      mutation: true,
      input: EpisodicExpireInput,
      async handle(i, ctx) {
        if (i.beforeCursor === undefined && i.before === undefined) throw invalidArgument('beforeCursor', 'beforeCursor or before is required');
        const selection = { beforeCursor: i.beforeCursor, before: i.before ? new Date(i.before) : undefined, maxRows: i.maxRows };
        const { event } = await run(ctx, i.ns, { type: 'ExpireEvents', action: i.action, selection });
        if (!event) return { affected: 0 };
        if (event.type !== 'episodic.events_expired') throw requestIdReused();
        return { affected: (event.data as { cursors: number[] }).cursors.length, seq: event.seq };
      },
    }),
    operation<EpisodicTailInput, never, EpisodicTailItem>('episodic', 'tail', {
      mutation: false,
      input: EpisodicTailInput,
      stream: (i, ctx, sink) =>
        tailEvents(deps, queries, {
          tenant: ctx.principal.tenant,
          ns: i.ns,
          subject: aggregateSubject(deps.store.prefix, { block: 'episodic', tenant: ctx.principal.tenant, ns: i.ns, entity: NAMESPACE_LOG }),
          afterCursor: i.afterCursor,
          maxEvents: i.maxEvents ?? defaultWithinCap(ctx, 'maxEvents', 1000),
          maxMs: i.maxMs ?? defaultWithinCap(ctx, 'maxMs', 30_000),
          minSeq: i.minSeq,
          sink,
        }),
    }),
  ];
}


