import type { StoredEvent } from '@memsidecar/core';
import type { Projection, SqlExecutor } from '@memsidecar/projections';
import type { RecordsDeleted, RecordsExpired, RecordsUpserted, SemanticEvent } from './semantic.events';
import { decodeVector, normalize } from './vector-codec';

type Stored = StoredEvent<SemanticEvent>;

const hasVectorColumn = async (sql: SqlExecutor): Promise<boolean> => {
  const [row] = await sql.query<{ present: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'semantic_records' AND column_name = 'embedding_v') AS present`,
  );
  return row.present;
};

async function upserted(sql: SqlExecutor, e: Stored, pgvector: boolean): Promise<void> {
  const d = (e as StoredEvent<RecordsUpserted>).data;
  await sql.query(
    `INSERT INTO semantic_namespaces (tenant, ns, embedder, dimension) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant, ns) DO UPDATE SET embedder = EXCLUDED.embedder, dimension = EXCLUDED.dimension`,
    [e.tenant, e.ns, d.embedder, d.dimension],
  );
  for (const r of d.records) {
    const embedding = normalize(decodeVector(r.vector));
    await sql.query(
      `INSERT INTO semantic_records (tenant, ns, id, version, content, vector, embedding, dim, payload, metadata, valid_from, valid_to, created_at, updated_at, deleted_at, seq${pgvector ? ', embedding_v' : ''})
       VALUES ($1, $2, $3, $4, $5, $6, $7::real[], $8, $9::json, $10::jsonb, $11, $12, $13, $14, NULL, $15${pgvector ? ', $7::real[]::vector' : ''})
       ON CONFLICT (tenant, ns, id) DO UPDATE SET version = EXCLUDED.version, content = EXCLUDED.content, vector = EXCLUDED.vector,
         embedding = EXCLUDED.embedding, dim = EXCLUDED.dim, payload = EXCLUDED.payload, metadata = EXCLUDED.metadata,
         valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
         deleted_at = NULL, seq = EXCLUDED.seq${pgvector ? ', embedding_v = EXCLUDED.embedding_v' : ''}`,
      [e.tenant, e.ns, r.id, r.version, r.content, r.vector, embedding, embedding.length, JSON.stringify(r.payload ?? null), r.metadata ?? {}, r.validFrom, r.validTo, r.createdAt, r.updatedAt, e.seq],
    );
    if (r.supersedes.length === 0) continue;
    // Superseding closes the old records' validity where the new one's begins.
    await sql.query(
      `UPDATE semantic_records SET valid_to = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND id <> $5
         AND deleted_at IS NULL AND (valid_to IS NULL OR valid_to > $4)`,
      [e.tenant, e.ns, r.supersedes, r.validFrom, r.id],
    );
  }
}

async function removed(sql: SqlExecutor, e: Stored): Promise<void> {
  const d = (e as StoredEvent<RecordsDeleted | RecordsExpired>).data;
  const action = 'action' in d ? d.action : d.hard ? 'hard' : 'soft';
  const params = [e.tenant, e.ns, d.ids, d.at];
  if (action === 'hard') {
    await sql.query(`DELETE FROM semantic_records WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, params.slice(0, 3));
  } else if (action === 'soft') {
    await sql.query(`UPDATE semantic_records SET deleted_at = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND deleted_at IS NULL`, params);
  } else {
    await sql.query(
      `UPDATE semantic_records SET valid_to = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND (valid_to IS NULL OR valid_to > $4)`,
      params,
    );
  }
}

export const semanticProjection: Projection = {
  name: 'semantic_records',
  block: 'semantic',
  tables: ['semantic_records', 'semantic_namespaces'],
  async apply(sql, events) {
    const pgvector = await hasVectorColumn(sql);
    for (const e of events as Stored[]) {
      if (e.type === 'semantic.records_upserted') await upserted(sql, e, pgvector);
      else await removed(sql, e);
    }
  },
};
