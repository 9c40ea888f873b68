import { aggregateSubject, provenanceField, requestIdReused, invalidArgument, newId, type AggregateAddress, type CommandMeta } from '@memsidecar/core';
import type { AggregateType } from '@memsidecar/event-store';
import { assertJsonSize, commandMeta, defaultWithinCap, derivedCommandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import { EXTERNAL, semanticDecider, type CurrentRecord, type RecordInput, type SemanticCommand, type SemanticState } from './semantic.decider';
import type { RecordsDeleted, RecordsExpired, RecordsUpserted, SemanticEvent } from './semantic.events';
import { SemanticDeleteInput, SemanticExpireInput, SemanticRevertInput, SemanticSearchInput, SemanticUpsertInput, type RecordDto } from './semantic.dto';
import type { SemanticDeleteResult, SemanticExpireResult, SemanticHit, SemanticIdHit, SemanticRevertResult, SemanticSearchResult, SemanticUpsertResult } from './semantic.replies';
import { CachedEmbedder, embedderFromConfig, embedderUnavailable, type Embedder } from './embedders';
import { SemanticSearch, vectorOf, type HitRow } from './semantic.search';
import type { SearchFilter } from './search-filter';
import { fusedLanes, fusionFor, singleLane, type RankedHit } from './retrieval';
import { prepareDenseQuery } from './query-preparation';
import { decodeVector, encodeVector, normalize } from './vector-codec';
import { recordAt } from './record-history';

/** The aggregate is one namespace's index: its embedder and dimension, and the batch it accepts. */
export const NAMESPACE_INDEX = 'index';
/** Keeps one upsert event well below NATS's default 1 MiB message size. */
const MAX_EVENT_BYTES = 768 * 1024;
/** Candidates each lane of hybrid search brings to fusion (more when topK asks for more). */
const HYBRID_DEPTH = 100;

/** Versions, existence and expiry candidates are read in the aggregate's mailbox, once the read model caught up. */
function semanticAggregate(deps: Pick<BlockDependencies, 'readModels' | 'db'>): AggregateType<SemanticState, SemanticCommand, SemanticEvent> {
  return {
    block: 'semantic',
    decider: semanticDecider,
    history: 'last-event',
    async prepare(command, current, { tenant, ns }) {
      await deps.readModels.ready('semantic', current.seq || undefined);
      switch (command.type) {
        case 'UpsertRecords': {
          const rows = await deps.db.query<{ id: string; version: number; created_at: Date }>(
            `SELECT id, version, created_at FROM semantic_records WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`,
            [tenant, ns, command.records.map((r) => r.id)],
          );
          const found: Record<string, CurrentRecord> = Object.fromEntries(rows.map((r) => [r.id, { version: r.version, createdAt: r.created_at.toISOString() }]));
          return { ...command, current: found };
        }
        case 'DeleteRecords': {
          const rows = await deps.db.query<{ id: string }>(
            `SELECT id FROM semantic_records WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) ${command.hard ? '' : 'AND deleted_at IS NULL'}`,
            [tenant, ns, command.ids],
          );
          const present = new Set(rows.map((r) => r.id));
          return { ...command, existed: command.ids.map((id) => present.has(id)) };
        }
        case 'ExpireRecords': {
          const live = { invalidate: 'AND deleted_at IS NULL AND (valid_to IS NULL OR valid_to > now())', soft: 'AND deleted_at IS NULL', hard: '' }[command.action];
          const rows = await deps.db.query<{ id: string }>(
            `SELECT id FROM semantic_records WHERE tenant = $1 AND ns = $2 AND metadata @> $3::jsonb ${live} ORDER BY created_at, id LIMIT $4`,
            [tenant, ns, JSON.stringify(command.filter), command.maxRows],
          );
          return { ...command, ids: rows.map((r) => r.id) };
        }
      }
    },
  };
}

async function toRecordInputs(records: RecordDto[], embedder: Embedder, maxPayloadBytes: number): Promise<{ inputs: RecordInput[]; embedded: boolean }> {
  records.forEach((r, i) => {
    if (r.content === undefined && r.vector === undefined) throw invalidArgument(`records[${i}].content`, 'content or vector is required');
    if (r.payload !== undefined) assertJsonSize(`records[${i}].payload`, r.payload, maxPayloadBytes);
    if (r.validFrom && r.validTo && Date.parse(r.validTo) <= Date.parse(r.validFrom)) throw invalidArgument(`records[${i}].validTo`, 'must be after validFrom');
  });
  const toEmbed = records.map((r, i) => ({ r, i })).filter(({ r }) => r.vector === undefined);
  let vectors: number[][] = [];
  if (toEmbed.length > 0) {
    try {
      vectors = await embedder.embed(toEmbed.map(({ r }) => r.content!));
    } catch (e) {
      throw embedderUnavailable(embedder.id, e);
    }
  }
  const byIndex = new Map(toEmbed.map(({ i }, k) => [i, vectors[k]]));
  const inputs = records.map((r, i) => {
    const vector = r.vector ?? byIndex.get(i)!;
    return { ...r, id: r.id ?? newId(), vector, vectorB64: encodeVector(vector) } as RecordInput;
  });
  const dims = new Set(inputs.map((r) => r.vector.length));
  if (dims.size > 1) throw invalidArgument('records', `vectors of one batch must share one dimension, got ${[...dims].join(', ')}`);
  return { inputs, embedded: toEmbed.length > 0 };
}

/**
 * Restores one record to its state at log sequence `toSeq` by appending a new event (`revertedTo`
 * names the sequence); the history stays as it was. `semantic.revert` and `memctl revert semantic`
 * both run it.
 */
export async function revertRecord(
  deps: Pick<BlockDependencies, 'runtime' | 'store' | 'readModels' | 'db'>,
  address: Omit<AggregateAddress, 'block' | 'entity'>,
  revert: { id: string; toSeq: number },
  meta: CommandMeta,
): Promise<SemanticRevertResult> {
  const index = { ...address, entity: NAMESPACE_INDEX };
  const aggregate = semanticAggregate(deps);
  const run = (command: SemanticCommand) => deps.runtime.handle(aggregate, index, command, meta);
  const { fromSeq, past } = await recordAt(deps.store, aggregateSubject(deps.store.prefix, { block: 'semantic', ...index }), revert.id, revert.toSeq);
  if (!past) {
    const { event } = await run({ type: 'DeleteRecords', ids: [revert.id], hard: false, revertedTo: revert.toSeq });
    if (!event) return { restored: 'absent', fromSeq };
    if (event.type !== 'semantic.records_deleted' || event.data.revertedTo !== revert.toSeq) throw requestIdReused();
    return { restored: 'absent', fromSeq, seq: event.seq };
  }
  // The record's own state comes back; records it superseded stay as they are now.
  const restored: RecordInput = {
    id: revert.id,
    content: past.content ?? undefined,
    vector: decodeVector(past.vector),
    vectorB64: past.vector,
    payload: past.payload,
    metadata: past.metadata ?? undefined,
    validFrom: past.validFrom,
    validTo: past.validTo ?? undefined,
  };
  const { event } = await run({ type: 'UpsertRecords', embedder: null, records: [restored], revertedTo: revert.toSeq });
  if (!event || event.type !== 'semantic.records_upserted' || event.data.revertedTo !== revert.toSeq) throw requestIdReused();
  return { restored: 'record', fromSeq, version: event.data.records[0].version, seq: event.seq };
}

export function semanticOperations(deps: BlockDependencies): Operation[] {
  const embedder = embedderFromConfig(deps.config.semantic, deps.metrics && ((id, texts, seconds) => deps.metrics!.embedderCall(id, texts, seconds)));
  // The cache is keyed by content hashes, not tenants: an erasure anywhere empties it.
  if (embedder instanceof CachedEmbedder) deps.erasure.onForget(() => embedder.clear());
  const search = new SemanticSearch(deps.db);
  const aggregate = semanticAggregate(deps);
  const run = (ctx: RequestContext, ns: string, command: SemanticCommand, meta = commandMeta(ctx)) =>
    deps.runtime.handle(aggregate, { tenant: ctx.principal.tenant, ns, entity: NAMESPACE_INDEX }, command, meta);

  return [
    operation<SemanticUpsertInput, SemanticUpsertResult>('semantic', 'upsert', {
      mutation: true,
      input: SemanticUpsertInput,
      async handle(i, ctx) {
        const { inputs, embedded } = await toRecordInputs(i.records, embedder, deps.limits.maxValueBytes);
        const bytes = inputs.reduce((n, r) => n + r.vectorB64.length + Buffer.byteLength(JSON.stringify({ ...r, vector: undefined }) ?? ''), 0);
        if (bytes > MAX_EVENT_BYTES) throw invalidArgument('records', `batch is ${bytes} bytes; split it (at most ${MAX_EVENT_BYTES} bytes per upsert)`);
        const meta = await derivedCommandMeta(deps.store, ctx, i.derivedFrom);
        const { event } = await run(ctx, i.ns, { type: 'UpsertRecords', embedder: embedded ? embedder.id : null, records: inputs }, meta);
        if (!event || event.type !== 'semantic.records_upserted') throw requestIdReused();
        return { items: (event.data as RecordsUpserted['data']).records.map((r) => ({ id: r.id, version: r.version })), seq: event.seq };
      },
    }),
    operation<SemanticSearchInput, SemanticSearchResult<SemanticHit | SemanticIdHit>>('semantic', 'search', {
      mutation: false,
      input: SemanticSearchInput,
      async handle(i, ctx) {
        const mode = i.mode ?? 'dense';
        if (i.queryText !== undefined && i.queryVector !== undefined) throw invalidArgument('queryText', 'give queryText or queryVector, not both');
        if (i.queryText === undefined && i.queryVector === undefined) throw invalidArgument('queryText', 'queryText or queryVector is required');
        if (mode !== 'dense' && i.queryText === undefined) throw invalidArgument('queryText', `is required for ${mode} search`);
        const fusion = fusionFor(mode, i.fusion);
        await deps.readModels.ready('semantic', i.minSeq);
        const ns = await search.namespace(ctx.principal.tenant, i.ns);
        const topK = i.topK ?? defaultWithinCap(ctx, 'topK', 10);
        const asOf = i.asOf ? new Date(i.asOf) : undefined;
        const f: SearchFilter = {
          tenant: ctx.principal.tenant,
          ns: i.ns,
          filter: i.filter,
          predicates: i.predicates,
          createdAfter: i.createdAfter ? new Date(i.createdAfter) : undefined,
          createdBefore: i.createdBefore ? new Date(i.createdBefore) : undefined,
          validAt: i.includeInvalidated ? null : (asOf ?? ctx.now),
          present: !asOf,
        };
        const denseQuery = async (text: string | undefined): Promise<number[]> => {
          if (i.queryVector) {
            if (ns && i.queryVector.length !== ns.dimension) throw invalidArgument('queryVector', `must have ${ns.dimension} dimensions (the namespace's)`);
            return normalize(i.queryVector);
          }
          if (ns && ns.embedder !== embedder.id) {
            throw invalidArgument('queryText', ns.embedder === EXTERNAL ? 'this namespace holds caller-given vectors only: search it with queryVector' : `namespace embeds with ${ns.embedder}, not served here`);
          }
          try {
            return normalize((await embedder.embed([text!]))[0]);
          } catch (e) {
            throw embedderUnavailable(embedder.id, e);
          }
        };
        const denseText = mode === 'hybrid' ? prepareDenseQuery(i.queryText!) : i.queryText;
        const depth = Math.max(HYBRID_DEPTH, topK);
        let hits: RankedHit[] = [];
        if (ns && mode === 'dense') hits = singleLane('dense', await search.dense(f, await denseQuery(denseText), topK));
        else if (ns && mode === 'sparse') hits = singleLane('sparse', await search.sparse(f, i.queryText!, topK));
        else if (ns) {
          // The sparse lane needs no embedding: it goes to the database first, and runs there while
          // the query is embedded here (embedding holds the event loop, so it must not start before
          // the statement is on the wire).
          const sparse = search.sparse(f, i.queryText!, depth);
          // Its failure is reported by the await below; this keeps a dense failure from leaving it unhandled.
          sparse.catch(() => undefined);
          await new Promise((next) => setImmediate(next));
          const dense = await search.dense(f, await denseQuery(denseText), depth);
          hits = await fusedLanes(dense, await sparse, fusion, topK, { neighborsOf: (ids) => search.neighbors(f, ids), rowsOf: (ids) => search.rows(f, ids) });
        }
        if (i.minScore !== undefined) hits = hits.filter((h) => h.score >= i.minScore!);
        const explanation = i.explain
          ? {
              mode,
              ...(denseText !== undefined && mode !== 'sparse' ? { denseQuery: denseText } : {}),
              ...(mode !== 'dense' ? { sparseTerms: await search.queryTerms(i.queryText!) } : {}),
              ...(mode === 'hybrid' ? { fusion, depth } : {}),
            }
          : undefined;
        // Typed on its own: an id-only hit is a supertype of a full one, and would admit any record fields.
        const described = (r: HitRow): Omit<SemanticHit, keyof SemanticIdHit> => ({
          content: r.content,
          metadata: r.metadata,
          version: r.version,
          validFrom: r.valid_from.toISOString(),
          validTo: r.valid_to ? r.valid_to.toISOString() : null,
          ...provenanceField(r.provenance),
          ...(i.includePayload ? { payload: r.payload } : {}),
          ...(i.includeVector ? { vector: vectorOf(r) } : {}),
        });
        return {
          hits: hits.map(({ row: r, score, explain }) => ({
            id: r.id,
            score,
            ...(i.idsOnly ? {} : described(r)),
            ...(i.explain ? { explain } : {}),
          })),
          ...(explanation ? { explain: explanation } : {}),
        };
      },
    }),
    operation<SemanticRevertInput, SemanticRevertResult>('semantic', 'revert', {
      mutation: true,
      input: SemanticRevertInput,
      handle: (i, ctx) => revertRecord(deps, { tenant: ctx.principal.tenant, ns: i.ns }, i, commandMeta(ctx)),
    }),
    operation<SemanticDeleteInput, SemanticDeleteResult>('semantic', 'delete', {
      mutation: true,
      input: SemanticDeleteInput,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.ns, { type: 'DeleteRecords', ids: i.ids, hard: i.hard ?? false });
        if (!event) return { existed: i.ids.map(() => false) };
        if (event.type !== 'semantic.records_deleted') throw requestIdReused();
        return { existed: (event.data as RecordsDeleted['data']).existed, seq: event.seq };
      },
    }),
    operation<SemanticExpireInput, SemanticExpireResult>('semantic', 'expire', {
      mutation: true,
      input: SemanticExpireInput,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.ns, { type: 'ExpireRecords', action: i.action, filter: i.filter, maxRows: i.maxRows });
        if (!event) return { affected: 0 };
        if (event.type !== 'semantic.records_expired') throw requestIdReused();
        return { affected: (event.data as RecordsExpired['data']).ids.length, seq: event.seq };
      },
    }),
  ];
}
