import type { StoredEvent } from '@memsidecar/core';
import { newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { KvEvent, KvValueSetData } from './kv.events';

const ROWS_PER_STATEMENT = 500;

type KvStored = StoredEvent<KvEvent>;

async function upsertValues(m: SqlExecutor, events: KvStored[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const params: unknown[] = [];
    const rows = events.slice(i, i + ROWS_PER_STATEMENT).map((e) => {
      const d = e.data as KvValueSetData;
      params.push(e.tenant, e.ns, e.entity, JSON.stringify(d.value), d.version, d.createdAt, d.updatedAt, d.expiresAt, d.metadata, e.seq);
      const n = params.length - 10;
      return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}::json, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8}, $${n + 9}::jsonb, $${n + 10})`;
    });
    await m.query(
      `INSERT INTO kv_entries (tenant, ns, key, value, version, created_at, updated_at, expires_at, metadata, seq)
       VALUES ${rows.join(', ')}
       ON CONFLICT (tenant, ns, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
         created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at,
         metadata = EXCLUDED.metadata, seq = EXCLUDED.seq`,
      params,
    );
  }
}

async function deleteKeys(m: SqlExecutor, events: KvStored[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const chunk = events.slice(i, i + ROWS_PER_STATEMENT);
    await m.query(
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
