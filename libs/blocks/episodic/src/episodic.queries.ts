import { provenanceField, provenanceOf, type Provenance, type StoredEvent } from '@memsidecar/core';
import type { Database } from '@memsidecar/projections';
import type { EpisodicEventAppended, EpisodicEventAppendedData } from './episodic.events';
import type { EpisodicWireEvent } from './episodic.replies';

export interface EpisodicRow {
  cursor: string;
  id: string;
  type: string;
  payload: unknown;
  role: string | null;
  session_id: string | null;
  metadata: Record<string, string> | null;
  dedup_key: string | null;
  supersedes: string[];
  created_at: Date;
  deleted_at: Date | null;
  seq: string;
  provenance: Provenance | null;
}

export interface RangeFilter {
  afterCursor?: number;
  beforeCursor?: number;
  after?: Date;
  before?: Date;
  sessionId?: string;
  role?: string;
  type?: string;
  includeDeleted?: boolean;
  /** Only events the log held up to this sequence (a tail's history). */
  maxSeq?: number;
}

const COLUMNS = 'cursor, id, type, payload, role, session_id, metadata, dedup_key, supersedes, created_at, deleted_at, seq, provenance';

/** Every bound is exclusive and all of them are AND-ed; each maps to an index. */
function where(tenant: string, ns: string, f: RangeFilter): { clause: string; params: unknown[] } {
  const params: unknown[] = [tenant, ns];
  const conditions = ['tenant = $1', 'ns = $2'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    conditions.push(sql.replace('?', `$${params.length}`));
  };
  if (f.afterCursor !== undefined) add('cursor > ?', f.afterCursor);
  if (f.beforeCursor !== undefined) add('cursor < ?', f.beforeCursor);
  if (f.after) add('created_at > ?', f.after);
  if (f.before) add('created_at < ?', f.before);
  if (f.sessionId !== undefined) add('session_id = ?', f.sessionId);
  if (f.role !== undefined) add('role = ?', f.role);
  if (f.type !== undefined) add('type = ?', f.type);
  if (f.maxSeq !== undefined) add('seq <= ?', f.maxSeq);
  if (!f.includeDeleted) conditions.push('deleted_at IS NULL');
  return { clause: conditions.join(' AND '), params };
}

/**
 * Reads of the episodic read model. A range's text depends on which bounds it has (unnamed
 * statements); every value, the limit too, is a parameter.
 */
export class EpisodicQueries {
  constructor(private readonly db: Database) {}

  async range(tenant: string, ns: string, f: RangeFilter, limit: number, reverse: boolean): Promise<EpisodicRow[]> {
    const { clause, params } = where(tenant, ns, f);
    params.push(Math.floor(limit));
    return this.db.query<EpisodicRow>(
      `SELECT ${COLUMNS} FROM episodic_events WHERE ${clause} ORDER BY cursor ${reverse ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
      params,
    );
  }

  async byDedupKey(tenant: string, ns: string, dedupKey: string): Promise<EpisodicRow | null> {
    const rows = await this.db.prepared<EpisodicRow>(`SELECT ${COLUMNS} FROM episodic_events WHERE tenant = $1 AND ns = $2 AND dedup_key = $3`, [
      tenant,
      ns,
      dedupKey,
    ]);
    return rows[0] ?? null;
  }

  /** The oldest events an expiry would affect; a soft expiry skips those already hidden. */
  async expirable(tenant: string, ns: string, o: { beforeCursor?: number; before?: Date; action: 'soft' | 'hard'; maxRows: number }): Promise<number[]> {
    const { clause, params } = where(tenant, ns, { beforeCursor: o.beforeCursor, before: o.before, includeDeleted: o.action === 'hard' });
    params.push(Math.floor(o.maxRows));
    const rows = await this.db.query<{ cursor: string }>(
      `SELECT cursor FROM episodic_events WHERE ${clause} ORDER BY cursor ASC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => Number(r.cursor));
  }
}

/** The wire shape of one episodic event, from the read model. */
export const toWireEvent = (row: EpisodicRow): EpisodicWireEvent => ({
  id: row.id,
  cursor: Number(row.cursor),
  type: row.type,
  payload: row.payload,
  role: row.role,
  sessionId: row.session_id,
  metadata: row.metadata ?? {},
  dedupKey: row.dedup_key,
  supersedes: row.supersedes,
  createdAt: row.created_at.toISOString(),
  ...(row.deleted_at ? { deletedAt: row.deleted_at.toISOString() } : {}),
  ...provenanceField(row.provenance),
});

/** The same shape straight from the log, for live tails. */
export const wireFromAppended = (event: StoredEvent<EpisodicEventAppended>): EpisodicWireEvent => wireFromData(event.data, provenanceOf(event));

const wireFromData = (d: EpisodicEventAppendedData, provenance: Provenance): EpisodicWireEvent => ({
  id: d.eventId,
  cursor: d.cursor,
  type: d.type,
  payload: d.payload,
  role: d.role,
  sessionId: d.sessionId,
  metadata: d.metadata ?? {},
  dedupKey: d.dedupKey,
  supersedes: d.supersedes,
  createdAt: d.createdAt,
  provenance,
});
