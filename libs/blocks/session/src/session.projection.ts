import type { StoredEvent } from '@memsidecar/core';
import { newestPerAggregate, type Projection } from '@memsidecar/projections';
import type { SessionData, SessionEvent } from './session.events';

type Stored = StoredEvent<SessionEvent>;

/** Session events carry the whole state: only each session's newest event in a batch matters. */
export const sessionProjection: Projection = {
  name: 'session_entries',
  block: 'session',
  tables: ['session_entries'],
  async apply(sql, events) {
    for (const e of newestPerAggregate(events as Stored[])) {
      const d = e.data as SessionData;
      const deadline = new Date(Date.parse(d.lastHeartbeatAt) + d.heartbeatTimeoutMs).toISOString();
      await sql.query(
        `INSERT INTO session_entries (tenant, session_id, status, token_hash, parent_session_id, agent, heartbeat_interval_ms,
           heartbeat_timeout_ms, on_orphan, metadata, opened_at, last_heartbeat_at, deadline_at, last_checkpoint, closed_at, close_reason, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $14::json, $15, $16, $17)
         ON CONFLICT (tenant, session_id) DO UPDATE SET status = EXCLUDED.status, token_hash = EXCLUDED.token_hash,
           parent_session_id = EXCLUDED.parent_session_id, agent = EXCLUDED.agent, heartbeat_interval_ms = EXCLUDED.heartbeat_interval_ms,
           heartbeat_timeout_ms = EXCLUDED.heartbeat_timeout_ms, on_orphan = EXCLUDED.on_orphan, metadata = EXCLUDED.metadata,
           opened_at = EXCLUDED.opened_at, last_heartbeat_at = EXCLUDED.last_heartbeat_at, deadline_at = EXCLUDED.deadline_at,
           last_checkpoint = EXCLUDED.last_checkpoint, closed_at = EXCLUDED.closed_at, close_reason = EXCLUDED.close_reason, seq = EXCLUDED.seq`,
        [
          e.tenant, e.entity, d.status, d.tokenHash, d.parentSessionId, d.agent, d.heartbeatIntervalMs, d.heartbeatTimeoutMs, d.onOrphan,
          d.metadata, d.openedAt, d.lastHeartbeatAt, deadline, d.lastCheckpoint === null ? null : JSON.stringify(d.lastCheckpoint),
          d.closedAt, d.closeReason, e.seq,
        ],
      );
    }
  },
};
