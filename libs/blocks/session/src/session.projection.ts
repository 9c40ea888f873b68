import type { StoredEvent } from '@memsidecar/core';
import { newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { SessionData, SessionEvent } from './session.events';

type Stored = StoredEvent<SessionEvent>;

const ROWS_PER_STATEMENT = 500;
const COLUMNS = 17;
/** Casts for the columns whose parameters are not plain text. */
const CASTS: Record<number, string> = { 9: '::jsonb', 13: '::json' };

async function upsertSessions(sql: SqlExecutor, events: Stored[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const params: unknown[] = [];
    const rows = events.slice(i, i + ROWS_PER_STATEMENT).map((e) => {
      const d = e.data as SessionData;
      const deadline = new Date(Date.parse(d.lastHeartbeatAt) + d.heartbeatTimeoutMs).toISOString();
      params.push(
        e.tenant, e.entity, d.status, d.tokenHash, d.parentSessionId, d.agent, d.heartbeatIntervalMs, d.heartbeatTimeoutMs, d.onOrphan,
        d.metadata, d.openedAt, d.lastHeartbeatAt, deadline, d.lastCheckpoint === null ? null : JSON.stringify(d.lastCheckpoint),
        d.closedAt, d.closeReason, e.seq,
      );
      const n = params.length - COLUMNS;
      return `(${Array.from({ length: COLUMNS }, (_, c) => `$${n + c + 1}${CASTS[c] ?? ''}`).join(', ')})`;
    });
    await sql.query(
      `INSERT INTO session_entries (tenant, session_id, status, token_hash, parent_session_id, agent, heartbeat_interval_ms,
         heartbeat_timeout_ms, on_orphan, metadata, opened_at, last_heartbeat_at, deadline_at, last_checkpoint, closed_at, close_reason, seq)
       VALUES ${rows.join(', ')}
       ON CONFLICT (tenant, session_id) DO UPDATE SET status = EXCLUDED.status, token_hash = EXCLUDED.token_hash,
         parent_session_id = EXCLUDED.parent_session_id, agent = EXCLUDED.agent, heartbeat_interval_ms = EXCLUDED.heartbeat_interval_ms,
         heartbeat_timeout_ms = EXCLUDED.heartbeat_timeout_ms, on_orphan = EXCLUDED.on_orphan, metadata = EXCLUDED.metadata,
         opened_at = EXCLUDED.opened_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at, deadline_at = EXCLUDED.deadline_at,
         last_checkpoint = EXCLUDED.last_checkpoint, closed_at = EXCLUDED.closed_at, close_reason = EXCLUDED.close_reason, seq = EXCLUDED.seq`,
      params,
    );
  }
}

/** Session events carry the whole state: only each session's newest event in a batch matters. */
export const sessionProjection: Projection = {
  name: 'session_entries',
  block: 'session',
  tables: ['session_entries'],
  async apply(sql, events) {
    await upsertSessions(sql, newestPerAggregate(events as Stored[]));
  },
};
