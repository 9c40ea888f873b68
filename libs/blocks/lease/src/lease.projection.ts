import type { StoredEvent } from '@memsidecar/core';
import { newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { LeaseData, LeaseEvent } from './lease.events';

const ROWS_PER_STATEMENT = 500;
const COLUMNS = 13;

type LeaseStored = StoredEvent<LeaseEvent>;

async function upsertLeases(m: SqlExecutor, events: LeaseStored[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const params: unknown[] = [];
    const rows = events.slice(i, i + ROWS_PER_STATEMENT).map((e) => {
      const d = e.data as LeaseData;
      params.push(e.tenant, e.ns, e.entity, d.holderId, d.holder, d.fencingToken, d.acquiredAt, d.expiresAt, d.ttlMs, d.metadata, d.sessionId, d.status, e.seq);
      const n = params.length - COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, c) => `$${n + c + 1}${c === 9 ? '::jsonb' : ''}`).join(', ')})`;
    });
    await m.query(
      `INSERT INTO lease_entries (tenant, ns, key, holder_id, holder, fencing_token, acquired_at, expires_at, ttl_ms, metadata, session_id, status, seq)
       VALUES ${rows.join(', ')}
       ON CONFLICT (tenant, ns, key) DO UPDATE SET holder_id = EXCLUDED.holder_id, holder = EXCLUDED.holder,
         fencing_token = EXCLUDED.fencing_token, acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at,
         ttl_ms = EXCLUDED.ttl_ms, metadata = EXCLUDED.metadata, session_id = EXCLUDED.session_id,
         status = EXCLUDED.status, seq = EXCLUDED.seq`,
      params,
    );
  }
}

/** Released and expired leases keep their row: the fencing token and the last holder stay visible. */
export const leaseProjection: Projection = {
  name: 'lease_entries',
  block: 'lease',
  tables: ['lease_entries'],
  async apply(m, events) {
    await upsertLeases(m, newestPerAggregate(events as LeaseStored[]));
  },
};
