import type { Database } from '@memsidecar/projections';
import type { OnOrphan, SessionStatus } from './session.events';
import type { SessionCheckpoint, SessionRecord } from './session.replies';

export interface SessionRow {
  session_id: string;
  status: SessionStatus;
  token_hash: string;
  parent_session_id: string | null;
  agent: string;
  heartbeat_interval_ms: number;
  heartbeat_timeout_ms: number;
  on_orphan: OnOrphan;
  metadata: Record<string, string> | null;
  opened_at: Date;
  last_heartbeat_at: Date;
  deadline_at: Date;
  last_checkpoint: SessionCheckpoint | null;
  closed_at: Date | null;
  close_reason: string | null;
}

export class SessionQueries {
  constructor(private readonly db: Database) {}

  async get(tenant: string, sessionId: string): Promise<SessionRow | null> {
    const rows = await this.db.prepared<SessionRow>(`SELECT * FROM session_entries WHERE tenant = $1 AND session_id = $2`, [tenant, sessionId]);
    return rows[0] ?? null;
  }

  /** Open sessions of every tenant whose heartbeat deadline has passed. */
  async overdue(now: Date, limit: number): Promise<{ tenant: string; session_id: string }[]> {
    return this.db.prepared(`SELECT tenant, session_id FROM session_entries WHERE status = 'open' AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2`, [now, limit]);
  }

  async nextDeadline(): Promise<Date | null> {
    const rows = await this.db.prepared<{ deadline: Date | null }>(`SELECT min(deadline_at) AS deadline FROM session_entries WHERE status = 'open'`, []);
    return rows[0]?.deadline ?? null;
  }
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The wire shape of `session.get`. */
export const toWireSession = (r: SessionRow): SessionRecord => ({
  sessionId: r.session_id,
  status: r.status,
  parentSessionId: r.parent_session_id,
  agent: r.agent,
  heartbeatIntervalMs: r.heartbeat_interval_ms,
  heartbeatTimeoutMs: r.heartbeat_timeout_ms,
  onOrphan: r.on_orphan,
  metadata: r.metadata ?? {},
  openedAt: r.opened_at.toISOString(),
  lastHeartbeatAt: r.last_heartbeat_at.toISOString(),
  expiresAt: r.deadline_at.toISOString(),
  lastCheckpoint: r.last_checkpoint,
  closedAt: iso(r.closed_at),
  closeReason: r.close_reason,
});
