import type { StoredEvent } from '@memsidecar/core';
import type { Database } from './database';

/**
 * What became of an event a read model could not apply: `open` (the read model waits), `retry` or
 * `skip` (asked for by an operator), then `resolved` (applied after all) or `skipped` (the
 * checkpoint moved past it without applying it). Rows are kept: nothing is skipped silently.
 */
export type ProjectionErrorStatus = 'open' | 'retry' | 'skip' | 'resolved' | 'skipped';

export interface ProjectionErrorRow {
  name: string;
  seq: number;
  eventId: string;
  eventType: string;
  error: string;
  attempts: number;
  status: ProjectionErrorStatus;
  firstFailedAt: string;
  lastFailedAt: string;
  resolvedAt: string | null;
}

const RECORD = `INSERT INTO mem_projection_errors (name, seq, event_id, event_type, error, attempts, status)
  VALUES ($1, $2, $3, $4, $5, $6, 'open')
  ON CONFLICT (name, seq) DO UPDATE SET error = EXCLUDED.error, attempts = mem_projection_errors.attempts + EXCLUDED.attempts,
    last_failed_at = now(), status = CASE WHEN mem_projection_errors.status = 'skip' THEN 'skip' ELSE 'open' END`;

/** The parked events of the read models, shared by every instance through the database. */
export class ProjectionErrors {
  constructor(private readonly db: Database) {}

  /** Parks `event` for the read model (again, if another instance or an earlier try parked it). */
  async record(name: string, event: StoredEvent, error: string, attempts: number): Promise<void> {
    await this.db.prepared(RECORD, [name, event.seq, event.id, event.type, error.slice(0, 2_000), attempts]);
  }

  async status(name: string, seq: number): Promise<ProjectionErrorStatus | null> {
    const rows = await this.db.prepared<{ status: ProjectionErrorStatus }>(`SELECT status FROM mem_projection_errors WHERE name = $1 AND seq = $2`, [name, seq]);
    return rows[0]?.status ?? null;
  }

  async resolve(name: string, seq: number, status: 'resolved' | 'skipped'): Promise<void> {
    await this.db.prepared(`UPDATE mem_projection_errors SET status = $3, resolved_at = now() WHERE name = $1 AND seq = $2`, [name, seq, status]);
  }

  /** Asks the instances to retry or skip the open errors (of one read model, or of one event); returns how many. */
  async request(action: 'retry' | 'skip', name: string, seq?: number): Promise<number> {
    const rows = await this.db.query(
      `UPDATE mem_projection_errors SET status = $1 WHERE name = $2 AND ($3::bigint IS NULL OR seq = $3) AND status IN ('open', 'retry', 'skip') RETURNING seq`,
      [action, name, seq ?? null],
    );
    return rows.length;
  }

  async list(o: { all?: boolean } = {}): Promise<ProjectionErrorRow[]> {
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT name, seq, event_id, event_type, error, attempts, status, first_failed_at, last_failed_at, resolved_at
       FROM mem_projection_errors WHERE $1 OR status IN ('open', 'retry', 'skip') ORDER BY name, seq`,
      [o.all === true],
    );
    return rows.map((r) => ({
      name: String(r.name),
      seq: Number(r.seq),
      eventId: String(r.event_id),
      eventType: String(r.event_type),
      error: String(r.error),
      attempts: Number(r.attempts),
      status: r.status as ProjectionErrorStatus,
      firstFailedAt: new Date(r.first_failed_at as string).toISOString(),
      lastFailedAt: new Date(r.last_failed_at as string).toISOString(),
      resolvedAt: r.resolved_at ? new Date(r.resolved_at as string).toISOString() : null,
    }));
  }
}
