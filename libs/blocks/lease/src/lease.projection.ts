import type { StoredEvent } from '@memsidecar/core';
import { columnsOf, handles, jsonText, newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { LeaseData, LeaseEvent } from './lease.events';

type LeaseStored = StoredEvent<LeaseEvent>;

const UPSERT_LEASES = `INSERT INTO lease_entries (tenant, ns, key, holder_id, holder, fencing_token, acquired_at, expires_at, ttl_ms, metadata, session_id, status, seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::timestamptz[], $8::timestamptz[], $9::integer[], $10::jsonb[], $11::text[], $12::text[], $13::bigint[])
  ON CONFLICT (tenant, ns, key) DO UPDATE SET holder_id = EXCLUDED.holder_id, holder = EXCLUDED.holder,
    fencing_token = EXCLUDED.fencing_token, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at,
    ttl_ms = EXCLUDED.ttl_ms, metadata = EXCLUDED.metadata, session_id = EXCLUDED.session_id,
    status = EXCLUDED.status, seq = EXCLUDED.seq`;

async function upsertLeases(m: SqlExecutor, events: LeaseStored[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    const d: LeaseData = e.data;
    return [e.tenant, e.ns, e.entity, d.holderId, d.holder, d.fencingToken, d.acquiredAt, d.expiresAt, d.ttlMs, jsonText(d.metadata), d.sessionId, d.status, e.seq];
  });
  await m.prepared(UPSERT_LEASES, columnsOf(rows));
}

/** Released and expired leases keep their row: the fencing token and the last holder stay visible. */
export const leaseProjection: Projection<LeaseEvent> = {
  name: 'lease_entries',
  block: 'lease',
  tables: ['lease_entries'],
  canHandle: handles<LeaseEvent>({ 'lease.acquired': true, 'lease.renewed': true, 'lease.released': true, 'lease.expired': true }),
  async apply(m, events) {
    await upsertLeases(m, newestPerAggregate(events));
  },
};
