import { assertNever, provenanceOf, type StoredEvent } from '@memsidecar/core';
import { columnsOf, handles, jsonText, newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { KvEvent, KvValueDeleted, KvValueSet } from './kv.events';

const ROWS_PER_STATEMENT = 500;

const UPSERT_VALUES = `INSERT INTO kv_entries (tenant, ns, key, value, version, created_at, updated_at, expires_at, metadata, seq, provenance)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::json[], $5::integer[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::jsonb[], $10::bigint[], $11::jsonb[])
  ON CONFLICT (tenant, ns, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at,
    metadata = EXCLUDED.metadata, seq = EXCLUDED.seq, provenance = EXCLUDED.provenance`;

async function upsertValues(m: SqlExecutor, events: StoredEvent<KvValueSet>[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    const d = e.data;
    return [e.tenant, e.ns, e.entity, JSON.stringify(d.value), d.version, d.createdAt, d.updatedAt, d.expiresAt, jsonText(d.metadata), e.seq, jsonText(provenanceOf(e))];
  });
  await m.prepared(UPSERT_VALUES, columnsOf(rows));
}

async function deleteKeys(m: SqlExecutor, events: StoredEvent<KvValueDeleted>[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const chunk = events.slice(i, i + ROWS_PER_STATEMENT);
    await m.prepared(
      `DELETE FROM kv_entries k USING unnest($1::text[], $2::text[], $3::text[]) AS d(tenant, ns, key)
       WHERE k.tenant = d.tenant AND k.ns = d.ns AND k.key = d.key`,
      [chunk.map((e) => e.tenant), chunk.map((e) => e.ns), chunk.map((e) => e.entity)],
    );
  }
}

/** Each key's newest event in the batch, by what it does to the key's row. */
function byChange(events: StoredEvent<KvEvent>[]): { sets: StoredEvent<KvValueSet>[]; deletes: StoredEvent<KvValueDeleted>[] } {
  const sets: StoredEvent<KvValueSet>[] = [];
  const deletes: StoredEvent<KvValueDeleted>[] = [];
  for (const e of newestPerAggregate(events)) {
    switch (e.type) {
      case 'kv.value_set':
        sets.push(e);
        break;
      case 'kv.value_deleted':
        deletes.push(e);
        break;
      default:
        assertNever(e);
    }
  }
  return { sets, deletes };
}

export const kvProjection: Projection<KvEvent> = {
  name: 'kv_entries',
  block: 'kv',
  tables: ['kv_entries'],
  canHandle: handles<KvEvent>({ 'kv.value_set': true, 'kv.value_deleted': true }),
  async apply(m, events) {
    const { sets, deletes } = byChange(events);
    await upsertValues(m, sets);
    await deleteKeys(m, deletes);
  },
};
