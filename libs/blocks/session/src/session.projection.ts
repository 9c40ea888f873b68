import type { StoredEvent } from '@memsidecar/core';
import { columnsOf, handles, jsonText, newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { SessionData, SessionEvent } from './session.events';

type Stored = StoredEvent<SessionEvent>;

const UPSERT_SESSIONS = `INSERT INTO session_entries (tenant, session_id, status, token_hash, parent_session_id, agent, heartbeat_interval_ms,
    heartbeat_timeout_ms, on_orphan, metadata, opened_at, last_heartbeat_at, deadline_at, last_checkpoint, closed_at, close_reason, seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::integer[], $8::integer[], $9::text[],
    $10::jsonb[], $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::json[], $15::timestamptz[], $16::text[], $17::bigint[])
  ON CONFLICT (tenant, session_id) DO UPDATE SET status = EXCLUDED.status, token_hash = EXCLUDED.token_hash,
    parent_session_id = EXCLUDED.parent_session_id, agent = EXCLUDED.agent, heartbeat_interval_ms = EXCLUDED.heartbeat_interval_ms,
    heartbeat_timeout_ms = EXCLUDED.heartbeat_timeout_ms, on_orphan = EXCLUDED.on_orphan, metadata = EXCLUDED.metadata,
    opened_at = EXCLUDED.opened_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at, deadline_at = EXCLUDED.deadline_at,
    last_checkpoint = EXCLUDED.last_checkpoint, closed_at = EXCLUDED.closed_at, close_reason = EXCLUDED.close_reason, seq = EXCLUDED.seq`;

async function upsertSessions(sql: SqlExecutor, events: Stored[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    const d: SessionData = e.data;
    const deadline = new Date(Date.parse(d.lastHeartbeatAt) + d.heartbeatTimeoutMs).toISOString();
    return [
      e.tenant, e.entity, d.status, d.tokenHash, d.parentSessionId, d.agent, d.heartbeatIntervalMs, d.heartbeatTimeoutMs, d.onOrphan,
      jsonText(d.metadata), d.openedAt, d.lastHeartbeatAt, deadline, jsonText(d.lastCheckpoint), d.closedAt, d.closeReason, e.seq,
    ];
  });
  await sql.prepared(UPSERT_SESSIONS, columnsOf(rows));
}

/** Session events carry the whole state: only each session's newest event in a batch matters. */
export const sessionProjection: Projection<SessionEvent> = {
  name: 'session_entries',
  block: 'session',
  tables: ['session_entries'],
  canHandle: handles<SessionEvent>({
    'session.opened': true, 'session.heartbeat_recorded': true, 'session.checkpointed': true, 'session.closed': true, 'session.orphaned': true,
  }),
  async apply(sql, events) {
    await upsertSessions(sql, newestPerAggregate(events));
  },
};
