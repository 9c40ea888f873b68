import { assertNever, provenanceOf, type StoredEvent } from '@memsidecar/core';
import { handles, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { RecordsDeleted, RecordsExpired, RecordsUpserted, SemanticEvent, StoredRecord } from './semantic.events';
import { decodeVector, float4ArrayParam, normalize } from './vector-codec';

type Stored = StoredEvent<SemanticEvent>;
type Upserted = StoredEvent<RecordsUpserted>;
type Removal = StoredEvent<RecordsDeleted | RecordsExpired>;

const ROWS_PER_STATEMENT = 500;
const RECORD_COLUMNS = 17;

/**
 * Whether the read model has pgvector's column (decided by the migration). Resolved through the
 * search path like every statement, so a rebuild's schema answers for itself.
 */
export const hasVectorColumn = async (sql: SqlExecutor): Promise<boolean> => {
  const [row] = await sql.prepared<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('semantic_records') AND attname = 'embedding_v' AND NOT attisdropped) AS present`,
    [],
  );
  return row.present;
};

interface Upsert {
  e: Upserted;
  r: StoredRecord;
  /** The record's index in its event. */
  position: number;
}

/** Each namespace's embedder and dimension as its newest upsert in the batch states them. */
async function upsertNamespaces(sql: SqlExecutor, events: Stored[]): Promise<void> {
  const newest = new Map<string, Upserted>();
  for (const e of events) if (e.type === 'semantic.records_upserted') newest.set(`${e.tenant}\u0000${e.ns}`, e);
  const rows = [...newest.values()];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const settings = chunk.map((e) => e.data);
    await sql.prepared(
      `INSERT INTO semantic_namespaces (tenant, ns, embedder, dimension)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[])
       ON CONFLICT (tenant, ns) DO UPDATE SET embedder = EXCLUDED.embedder, dimension = EXCLUDED.dimension`,
      [chunk.map((e) => e.tenant), chunk.map((e) => e.ns), settings.map((d) => d.embedder), settings.map((d) => d.dimension)],
    );
  }
}

/** Multi-row upserts; every column is replaced, so only each record's newest upsert in a run matters. */
async function upsertRecords(sql: SqlExecutor, upserts: Upsert[], pgvector: boolean): Promise<void> {
  for (let i = 0; i < upserts.length; i += ROWS_PER_STATEMENT) {
    const params: unknown[] = [];
    const rows = upserts.slice(i, i + ROWS_PER_STATEMENT).map(({ e, r, position }) => {
      const embedding = normalize(decodeVector(r.vector));
      params.push(e.tenant, e.ns, r.id, r.version, r.content, r.vector, float4ArrayParam(embedding), embedding.length, JSON.stringify(r.payload ?? null), r.metadata ?? {}, r.validFrom, r.validTo, r.createdAt, r.updatedAt, e.seq, position, JSON.stringify(provenanceOf(e)));
      const p = (k: number) => `$${params.length - RECORD_COLUMNS + k}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}::real[], ${p(8)}, ${p(9)}::json, ${p(10)}::jsonb, ${p(11)}::timestamptz, ${p(12)}::timestamptz, ${p(13)}::timestamptz, ${p(14)}::timestamptz, NULL::timestamptz, ${p(15)}::bigint, ${p(16)}::integer, ${p(17)}::jsonb${pgvector ? `, ${p(7)}::real[]::vector` : ''})`;
    });
    await sql.query(
      `INSERT INTO semantic_records (tenant, ns, id, version, content, vector, embedding, dim, payload, metadata, valid_from, valid_to, created_at, updated_at, deleted_at, seq, position, provenance${pgvector ? ', embedding_v' : ''})
       VALUES ${rows.join(', ')}
       ON CONFLICT (tenant, ns, id) DO UPDATE SET version = EXCLUDED.version, content = EXCLUDED.content, vector = EXCLUDED.vector,
         embedding = EXCLUDED.embedding, dim = EXCLUDED.dim, payload = EXCLUDED.payload, metadata = EXCLUDED.metadata,
         valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
         deleted_at = NULL, seq = EXCLUDED.seq, position = EXCLUDED.position, provenance = EXCLUDED.provenance${pgvector ? ', embedding_v = EXCLUDED.embedding_v' : ''}`,
      params,
    );
  }
}

/** Superseding closes the old records' validity where the new one's begins. */
async function supersede(sql: SqlExecutor, { e, r }: Omit<Upsert, 'position'>): Promise<void> {
  await sql.prepared(
    `UPDATE semantic_records SET valid_to = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND id <> $5
       AND deleted_at IS NULL AND (valid_to IS NULL OR valid_to > $4)`,
    [e.tenant, e.ns, r.supersedes, r.validFrom, r.id],
  );
}

/** What a delete or an expiry does to the records it names. */
function removalAction(e: Removal): 'invalidate' | 'soft' | 'hard' {
  switch (e.type) {
    case 'semantic.records_deleted':
      return e.data.hard ? 'hard' : 'soft';
    case 'semantic.records_expired':
      return e.data.action;
    default:
      return assertNever(e);
  }
}

async function removed(sql: SqlExecutor, e: Removal): Promise<void> {
  const action = removalAction(e);
  const params = [e.tenant, e.ns, e.data.ids, e.data.at];
  if (action === 'hard') {
    await sql.prepared(`DELETE FROM semantic_records WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, params.slice(0, 3));
  } else if (action === 'soft') {
    await sql.prepared(`UPDATE semantic_records SET deleted_at = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND deleted_at IS NULL`, params);
  } else {
    await sql.prepared(
      `UPDATE semantic_records SET valid_to = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND (valid_to IS NULL OR valid_to > $4)`,
      params,
    );
  }
}

const keyOf = (e: Stored, id: string): string => `${e.tenant}\u0000${e.ns}\u0000${id}`;

/**
 * Applies events in log order: runs of upserted records go in as multi-row upserts. A change (a
 * supersede, a delete, an expiry) reaches only the records it names: the run is written before it
 * when it names one of them, and otherwise the change goes first and the run goes on.
 */
export const semanticProjection: Projection<SemanticEvent> = {
  name: 'semantic_records',
  block: 'semantic',
  tables: ['semantic_records', 'semantic_namespaces'],
  canHandle: handles<SemanticEvent>({ 'semantic.records_upserted': true, 'semantic.records_deleted': true, 'semantic.records_expired': true }),
  async apply(sql, events) {
    const pgvector = await hasVectorColumn(sql);
    const pending = new Map<string, Upsert>();
    const flushIfNamed = async (e: Stored, ids: string[]) => {
      if (!ids.some((id) => pending.has(keyOf(e, id)))) return;
      await upsertRecords(sql, [...pending.values()], pgvector);
      pending.clear();
    };
    const upserted = async (e: Upserted) => {
      for (const [position, r] of e.data.records.entries()) {
        const key = keyOf(e, r.id);
        // A re-inserted key moves to the end, so the run keeps log order between different records.
        pending.delete(key);
        pending.set(key, { e, r, position });
        if (r.supersedes.length === 0) continue;
        await flushIfNamed(e, r.supersedes);
        await supersede(sql, { e, r });
      }
    };
    await upsertNamespaces(sql, events);
    for (const e of events) {
      switch (e.type) {
        case 'semantic.records_upserted':
          await upserted(e);
          break;
        case 'semantic.records_deleted':
        case 'semantic.records_expired':
          await flushIfNamed(e, e.data.ids);
          await removed(sql, e);
          break;
        default:
          assertNever(e);
      }
    }
    await upsertRecords(sql, [...pending.values()], pgvector);
  },
};
