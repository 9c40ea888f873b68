import type { StoredEvent } from '@memsidecar/core';
import { columnsOf, jsonText, newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { KvEvent, KvValueSetData } from './kv.events';

const ROWS_PER_STATEMENT = 500;

type KvStored = StoredEvent<KvEvent>;

const UPSERT_VALUES = `INSERT INTO kv_entries (tenant, ns, key, value, version, created_at, updated_at, expires_at, metadata, seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::json[], $5::integer[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[], $9::jsonb[], $10::bigint[])
  ON CONFLICT (tenant, ns, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at,
    metadata = EXCLUDED.metadata, seq = EXCLUDED.seq`;

async function upsertValues(m: SqlExecutor, events: KvStored[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    const d = e.data as KvValueSetData;
    return [e.tenant, e.ns, e.entity, JSON.stringify(d.value), d.version, d.createdAt, d.updatedAt, d.expiresAt, jsonText(d.metadata), e.seq];
  });
  await m.prepared(UPSERT_VALUES, columnsOf(rows));
}

async function deleteKeys(m: SqlExecutor, events: KvStored[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const chunk = events.slice(i, i + ROWS_PER_STATEMENT);
    await m.prepared(
      `DELETE FROM kv_entries k USING unnest($1::text[], $2::text[], $3::text[]) AS d(tenant, ns, key)
       WHERE k.tenant = d.tenant AND k.ns = d.ns AND k.key = d.key`,
      [chunk.map((e) => e.tenant), chunk.map((e) => e.ns), chunk.map((e) => e.entity)],
    );
  }
}

export const kvProjection: Projection = {
  name: 'kv_entries',
  block: 'kv',
  tables: ['kv_entries'],
  async apply(m, events) {
    const newest = newestPerAggregate(events as KvStored[]);
    await upsertValues(m, newest.filter((e) => e.type === 'kv.value_set'));
    await deleteKeys(m, newest.filter((e) => e.type === 'kv.value_deleted'));
  },
};
