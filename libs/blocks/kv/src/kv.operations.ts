import { aggregateSubject, provenanceField, requestIdReused, type AggregateAddress, type CommandMeta, type StoredEvent } from '@memsidecar/core';
import { historyUpTo, type AggregateRuntime, type AggregateType, type EventLog } from '@memsidecar/event-store';
import { assertJsonSize, commandMeta, defaultWithinCap, derivedCommandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import { kvDecider, type KvCommand, type KvState, type PastValue } from './kv.decider';
import type { KvEvent, KvValueSetData } from './kv.events';
import { KvDeleteInput, KvGetInput, KvListInput, KvMgetInput, KvPutInput, KvRevertInput } from './kv.dto';
import { KvQueries, type KvRow } from './kv.queries';
import type { KvDeleteResult, KvGetResult, KvItem, KvListResult, KvMgetResult, KvPutResult, KvRevertResult } from './kv.replies';

export const kvAggregate: AggregateType<KvState, KvCommand, KvEvent> = {
  block: 'kv',
  decider: kvDecider,
  history: 'last-event',
};


const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

const item = (row: KvRow): KvItem => ({
  key: row.key,
  ...('value' in row ? { value: row.value } : {}),
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
  expiresAt: iso(row.expires_at),
  metadata: row.metadata ?? {},
  ...provenanceField(row.provenance),
});

/** A repeated request id must name the same kind of change it named the first time. */
function expectType(event: StoredEvent, type: KvEvent['type']): void {
  if (event.type !== type)
    throw requestIdReused();
}

/**
 * What a key held at log sequence `toSeq`, read from the log (the read model keeps only the
 * present): its last event at or before it, and the value that event left.
 */
async function keyAt(log: EventLog, subject: string, toSeq: number): Promise<{ fromSeq: number | null; past: PastValue }> {
  let last: StoredEvent<KvEvent> | null = null;
  for await (const event of historyUpTo(log, subject, toSeq)) last = event as StoredEvent<KvEvent>;
  if (last?.type !== 'kv.value_set') return { fromSeq: last?.seq ?? null, past: null };
  const { value, metadata, expiresAt } = last.data;
  return { fromSeq: last.seq, past: { value, metadata, expiresAt } };
}

/**
 * Restores a key to what it held at log sequence `toSeq` by appending a new event (`revertedTo`
 * names the sequence); the history stays as it was. `kv.revert` and `memctl revert kv` both run it.
 */
export async function revertKey(
  runtime: AggregateRuntime,
  log: EventLog,
  address: Omit<AggregateAddress, 'block'>,
  revert: { toSeq: number; ifVersion?: number },
  meta: CommandMeta,
): Promise<KvRevertResult> {
  const { fromSeq, past } = await keyAt(log, aggregateSubject(log.prefix, { block: 'kv', ...address }), revert.toSeq);
  const { event } = await runtime.handle(kvAggregate, address, { type: 'RestoreValue', toSeq: revert.toSeq, past, ifVersion: revert.ifVersion }, meta);
  if (!event) return { restored: 'absent', fromSeq, version: 0 };
  if (event.data.revertedTo !== revert.toSeq) throw requestIdReused();
  if (event.type === 'kv.value_deleted') return { restored: 'absent', fromSeq, version: 0, seq: event.seq };
  return { restored: 'value', fromSeq, version: event.data.version, seq: event.seq };
}

export function kvOperations(deps: BlockDependencies): Operation[] {
  const queries = new KvQueries(deps.db);
  const address = (ctx: RequestContext, ns: string, key: string) => ({ tenant: ctx.principal.tenant, ns, entity: key });
  const run = (ctx: RequestContext, ns: string, key: string, command: KvCommand, meta = commandMeta(ctx)) =>
    deps.runtime.handle(kvAggregate, address(ctx, ns, key), command, meta);

  return [
    operation<KvPutInput, KvPutResult>('kv', 'put', {
      mutation: true,
      input: KvPutInput,
      async handle(i, ctx) {
        assertJsonSize('value', i.value, deps.limits.maxValueBytes);
        const meta = await derivedCommandMeta(deps.store, ctx, i.derivedFrom);
        const { event } = await run(ctx, i.ns, i.key, { type: 'PutValue', value: i.value, ttlMs: i.ttlMs, ifVersion: i.ifVersion, metadata: i.metadata }, meta);
        expectType(event!, 'kv.value_set');
        const d = event!.data as KvValueSetData;
        return { version: d.version, createdAt: d.createdAt, updatedAt: d.updatedAt, expiresAt: d.expiresAt, seq: event!.seq };
      },
    }),
    operation<KvGetInput, KvGetResult>('kv', 'get', {
      mutation: false,
      input: KvGetInput,
      async handle(i, ctx) {
        await deps.readModels.ready('kv', i.minSeq);
        const row = await queries.get(ctx.principal.tenant, i.ns, i.key, ctx.now);
        return row ? { found: true, ...item(row), value: row.value } : { found: false };
      },
    }),
    operation<KvMgetInput, KvMgetResult>('kv', 'mget', {
      mutation: false,
      input: KvMgetInput,
      async handle(i, ctx) {
        await deps.readModels.ready('kv', i.minSeq);
        return { items: (await queries.getMany(ctx.principal.tenant, i.ns, i.keys, ctx.now)).map(item) };
      },
    }),
    operation<KvDeleteInput, KvDeleteResult>('kv', 'delete', {
      mutation: true,
      input: KvDeleteInput,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.ns, i.key, { type: 'DeleteValue', ifVersion: i.ifVersion });
        if (!event) return { existed: false };
        expectType(event, 'kv.value_deleted');
        return { existed: true, seq: event.seq };
      },
    }),
    operation<KvRevertInput, KvRevertResult>('kv', 'revert', {
      mutation: true,
      input: KvRevertInput,
      handle: (i, ctx) => revertKey(deps.runtime, deps.store, address(ctx, i.ns, i.key), i, commandMeta(ctx)),
    }),
    operation<KvListInput, KvListResult>('kv', 'list', {
      mutation: false,
      input: KvListInput,
      async handle(i, ctx) {
        await deps.readModels.ready('kv', i.minSeq);
        const limit = i.limit ?? defaultWithinCap(ctx, 'limit', deps.limits.defaultListLimit);
        const page = { prefix: i.prefix ?? '', startAfter: i.startAfter ?? '', limit, includeValues: i.includeValues ?? false, reverse: i.reverse ?? false };
        const rows = await queries.list(ctx.principal.tenant, i.ns, page, ctx.now);
        const items = rows.slice(0, limit);
        return { items: items.map(item), nextStartAfter: rows.length > limit ? items[items.length - 1].key : null };
      },
    }),
  ];
}
