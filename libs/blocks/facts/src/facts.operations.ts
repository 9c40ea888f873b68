import { createHash } from 'node:crypto';
import { MemError, aggregateSubject, newId, provenanceField, requestIdReused, type AggregateAddress, type CommandMeta, type StoredEvent } from '@memsidecar/core';
import type { AggregateType } from '@memsidecar/event-store';
import { commandMeta, defaultWithinCap, derivedCommandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import { factsDecider, type FactsCommand, type FactsState } from './facts.decider';
import type { FactsEvent, FactsTicked, FactWrittenEvent } from './facts.events';
import { FactsExportInput, FactsPurgeInput, FactsReflectInput, FactsRevertInput, FactsSearchInput, FactsStatusInput, FactsTickInput, FactsWriteInput } from './facts.dto';
import type { FactsExportResult, FactsPurgeResult, FactsReflectResult, FactsRevertResult, FactsSearchResult, FactsStatusResult, FactsTickResult, FactsWriteResult, WireFact } from './facts.replies';
import { PRESSURE, gauge, levelOf, type FactStatus } from './facts.model';
import { factAt } from './fact-history';
import { FactsQueries, type FactHit } from './facts.queries';
import { formatFact, parseFactLine, type FactType } from './notation';
import { statusBlock } from './status-block';
import { TOPIC_SHIFT_TURNS } from './tick-decision';

export const DEFAULT_NS = 'default';
const STORE = 'store';

const TYPE_GROUPS: [FactType, keyof FactsReflectResult['groups']][] = [
  ['C', 'constraints'],
  ['D', 'decisions'],
  ['V', 'values'],
  ['?', 'unknowns'],
  ['✓', 'done'],
  ['~', 'obsolete'],
];

const tier = (f: { status: FactStatus }): string => (f.status === 'active' ? 'hot' : f.status);
const wire = (f: FactHit): WireFact => ({
  id: f.id,
  type: f.type,
  target: f.target,
  content: f.content,
  scope: f.scopeLabel,
  tier: tier(f),
  line: formatFact(f),
  ...provenanceField(f.provenance),
});

/** What the facts aggregate reads besides the log: the read model and the gauge's capacity. */
type AggregateDependencies = Pick<BlockDependencies, 'readModels' | 'db' | 'config'>;

/** The store's state lives in the read model: each decision's view is read at the sequence it expects. */
function factsAggregate(deps: AggregateDependencies, queries: FactsQueries): AggregateType<FactsState, FactsCommand, FactsEvent> {
  const settings = { maxChars: deps.config.facts.capacityChars };
  return {
    block: 'facts',
    decider: factsDecider,
    history: 'last-event',
    async prepare(command, current, { tenant, ns }) {
      if (command.type !== 'WriteFact' && command.type !== 'Tick' && command.type !== 'RevertFact') return command;
      await deps.readModels.ready('facts', current.seq || undefined);
      if (command.type === 'RevertFact') return { ...command, view: { current: await queries.state(tenant, ns, command.id) } };
      const session = await queries.session(tenant, ns, command.sessionId);
      if (command.type === 'Tick') {
        return { ...command, view: { session, openScopes: await queries.openScopes(tenant, ns), recentScopeIds: await queries.recentScopeIds(tenant, ns, command.turn - TOPIC_SHIFT_TURNS) } };
      }
      return {
        ...command,
        view: {
          counted: await queries.counted(tenant, ns),
          duplicate: await queries.byHash(tenant, ns, command.hash),
          labelled: command.scopeLabel ? await queries.scopeByLabel(tenant, ns, command.scopeLabel) : null,
          sessionScope: await queries.scope(tenant, ns, session?.activeScopeId ?? null),
          session,
          settings,
        },
      };
    },
  };
}

/**
 * Restores one fact to its state at log sequence `toSeq` by appending a new event (`revertedTo`
 * names the sequence); the history stays as it was. `facts.revert` and `memctl revert facts` both
 * run it.
 */
export async function revertFact(
  deps: AggregateDependencies & Pick<BlockDependencies, 'runtime' | 'store'>,
  address: Omit<AggregateAddress, 'block' | 'entity'>,
  revert: { id: string; toSeq: number },
  meta: CommandMeta,
): Promise<FactsRevertResult> {
  const namespace = { ...address, entity: STORE };
  const { fromSeq, past } = await factAt(deps.store, aggregateSubject(deps.store.prefix, { block: 'facts', ...namespace }), revert.id, revert.toSeq);
  const aggregate = factsAggregate(deps, new FactsQueries(deps.db));
  const { event } = await deps.runtime.handle(aggregate, namespace, { type: 'RevertFact', id: revert.id, toSeq: revert.toSeq, past }, meta);
  const reply: FactsRevertResult = past ? { restored: 'fact', fromSeq, tier: tier(past), line: formatFact(past) } : { restored: 'absent', fromSeq };
  if (!event) return reply;
  if ((event.type !== 'facts.fact_restored' && event.type !== 'facts.purged') || event.data.revertedTo !== revert.toSeq) throw requestIdReused();
  return { ...reply, seq: event.seq };
}

export function factsOperations(deps: BlockDependencies): Operation[] {
  const queries = new FactsQueries(deps.db);
  const limits = deps.config.facts;
  const settings = { maxChars: limits.capacityChars };
  const aggregate = factsAggregate(deps, queries);
  const nsOf = (i: { ns?: string }) => i.ns ?? DEFAULT_NS;
  const run = (ctx: RequestContext, ns: string, command: FactsCommand, meta = commandMeta(ctx)) =>
    deps.runtime.handle(aggregate, { tenant: ctx.principal.tenant, ns, entity: STORE }, command, meta);
  const scopeIdOf = async (ctx: RequestContext, ns: string, label: string | undefined) => {
    if (!label) return null;
    const scope = await queries.scopeByLabel(ctx.principal.tenant, ns, label);
    if (!scope) throw new MemError('NOT_FOUND', `scope ${label} does not exist`, undefined, { field: 'scope' });
    return scope.id;
  };
  const search = async (ctx: RequestContext, ns: string, query: string, scope: string | undefined, limit: number) => {
    await deps.readModels.ready('facts');
    const hits = await queries.search(ctx.principal.tenant, ns, query, await scopeIdOf(ctx, ns, scope), limit);
    if (hits.length) await run(ctx, ns, { type: 'RecordAccess', ids: hits.map((h) => h.id) });
    return hits;
  };

  return [
    operation<FactsWriteInput, FactsWriteResult>('facts', 'write', {
      mutation: true,
      input: FactsWriteInput,
      async handle(i, ctx) {
        const parsed = parseFactLine(i.content, limits.maxFactChars, limits.overLong);
        const line = formatFact(parsed);
        const hash = createHash('sha256').update(line).digest('hex').slice(0, 16);
        const ns = nsOf(i);
        const meta = await derivedCommandMeta(deps.store, ctx, i.derivedFrom);
        const { event } = await run(ctx, ns, { type: 'WriteFact', factId: newId(), newScopeId: newId(), parsed, hash, scopeLabel: i.scope, sessionId: i.sessionId }, meta);
        if (!event) {
          const existing = await queries.byHash(ctx.principal.tenant, ns, hash);
          if (!existing) throw new MemError('INTERNAL', 'a duplicate fact was not found');
          const g = gauge(await queries.counted(ctx.principal.tenant, ns), settings);
          return { id: existing.id, status: 'duplicate', type: existing.type, target: existing.target, scope: existing.scopeLabel, superseded: [], truncated: parsed.truncated, pressure: { pct: g.pct, level: levelOf(g.pct) }, warnings: [] };
        }
        if (event.type !== 'facts.fact_written') throw requestIdReused();
        const d = (event as StoredEvent<FactWrittenEvent>).data;
        const warnings = [
          ...(d.truncated ? [`content was cut to ${limits.maxFactChars} characters`] : []),
          ...(d.pressure.pct >= PRESSURE.warn ? [`memory at ${d.pressure.pct}%: purge superseded and archived facts, or close finished scopes`] : []),
          ...(d.relief.merged.length ? [`merged ${d.relief.merged.length} duplicate fact(s)`] : []),
          ...(d.relief.archived.length ? [`archived ${d.relief.archived.length} cold fact(s) of ended scopes`] : []),
          ...(d.relief.pushed.length ? [`moved ${d.relief.pushed.length} least recently used fact(s) to cold`] : []),
        ];
        return { id: d.fact.id, status: 'stored', type: d.fact.type, target: d.fact.target, scope: d.scope?.label ?? null, superseded: d.superseded, truncated: d.truncated, pressure: d.pressure, warnings, seq: event.seq };
      },
    }),
    operation<FactsSearchInput, FactsSearchResult>('facts', 'search', {
      mutation: false,
      input: FactsSearchInput,
      async handle(i, ctx) {
        return { facts: (await search(ctx, nsOf(i), i.query, i.scope, i.limit ?? defaultWithinCap(ctx, 'limit', 5))).map(wire) };
      },
    }),
    operation<FactsTickInput, FactsTickResult>('facts', 'tick', {
      mutation: true,
      input: FactsTickInput,
      async handle(i, ctx) {
        const ns = nsOf(i);
        const { event } = await run(ctx, ns, { type: 'Tick', sessionId: i.sessionId, turn: i.turn, message: i.message });
        if (!event || event.type !== 'facts.ticked') throw requestIdReused();
        const d = (event as StoredEvent<FactsTicked>).data;
        const labels = await Promise.all(d.cooled.map(async (c) => (await queries.scope(ctx.principal.tenant, ns, c.scopeId))?.label ?? c.scopeId));
        return { cooled: labels, reasons: Object.fromEntries(d.cooled.map((c, k) => [labels[k], c.reason])), seq: event.seq };
      },
    }),
    operation<FactsStatusInput, FactsStatusResult>('facts', 'status', {
      mutation: false,
      input: FactsStatusInput,
      async handle(i, ctx) {
        await deps.readModels.ready('facts');
        const ns = nsOf(i);
        const [hot, cold, counted] = await Promise.all([queries.hot(ctx.principal.tenant, ns), queries.coldCount(ctx.principal.tenant, ns), queries.counted(ctx.principal.tenant, ns)]);
        const { pct } = gauge(counted, settings);
        const pressure = { pct, level: levelOf(pct) };
        const { block, tokens } = statusBlock(hot, pressure, cold, limits.tokenBudget);
        return { block, tokens, pressure, hot: hot.length, cold };
      },
    }),
    operation<FactsReflectInput, FactsReflectResult>('facts', 'reflect', {
      mutation: false,
      input: FactsReflectInput,
      async handle(i, ctx) {
        const hits = await search(ctx, nsOf(i), i.topic, undefined, i.limit ?? defaultWithinCap(ctx, 'limit', 20));
        return { topic: i.topic, count: hits.length, groups: Object.fromEntries(TYPE_GROUPS.map(([type, name]) => [name, hits.filter((h) => h.type === type).map(wire)])) as FactsReflectResult['groups'] };
      },
    }),
    operation<FactsExportInput, FactsExportResult>('facts', 'export', {
      mutation: false,
      input: FactsExportInput,
      async handle(i, ctx) {
        await deps.readModels.ready('facts');
        const ns = nsOf(i);
        const statuses = i.status === 'active' ? ['active'] : i.status === 'cold' ? ['cold'] : ['active', 'cold'];
        const facts = await queries.export(ctx.principal.tenant, ns, statuses, await scopeIdOf(ctx, ns, i.scope));
        return { lines: facts.map((f) => formatFact(f)), facts: facts.map(wire) };
      },
    }),
    operation<FactsRevertInput, FactsRevertResult>('facts', 'revert', {
      mutation: true,
      input: FactsRevertInput,
      handle: (i, ctx) => revertFact(deps, { tenant: ctx.principal.tenant, ns: nsOf(i) }, i, commandMeta(ctx)),
    }),
    operation<FactsPurgeInput, FactsPurgeResult>('facts', 'purge', {
      mutation: true,
      input: FactsPurgeInput,
      async handle(i, ctx) {
        await deps.readModels.ready('facts');
        const ns = nsOf(i);
        const olderThan = i.olderThanDays !== undefined ? new Date(ctx.now.getTime() - i.olderThanDays * 86_400_000) : null;
        const ids = await queries.purgeable(ctx.principal.tenant, ns, await scopeIdOf(ctx, ns, i.scope), olderThan);
        const { event } = await run(ctx, ns, { type: 'Purge', ids });
        return event ? { purged: ids.length, seq: event.seq } : { purged: 0 };
      },
    }),
  ];
}
