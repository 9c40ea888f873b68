import type { StoredEvent } from '@memsidecar/core';
import type { Projection, SqlExecutor } from '@memsidecar/projections';
import type { EpisodicEvent, EpisodicEventAppendedData, EpisodicEventsExpiredData } from './episodic.events';

const ROWS_PER_STATEMENT = 400;

type Stored = StoredEvent<EpisodicEvent>;

async function insertRows(sql: SqlExecutor, events: Stored[]): Promise<void> {
  for (let i = 0; i < events.length; i += ROWS_PER_STATEMENT) {
    const params: unknown[] = [];
    const rows = events.slice(i, i + ROWS_PER_STATEMENT).map((e) => {
      const d = e.data as EpisodicEventAppendedData;
      params.push(e.tenant, e.ns, d.cursor, d.eventId, d.type, JSON.stringify(d.payload ?? null), d.role, d.sessionId, d.metadata, d.dedupKey, JSON.stringify(d.supersedes), d.createdAt, e.seq);
      const n = params.length - 13;
      const p = (k: number) => `$${n + k}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::json, ${p(7)}, ${p(8)}, ${p(9)}::jsonb, ${p(10)}, ${p(11)}::jsonb, ${p(12)}, ${p(13)})`;
    });
    await sql.query(
      `INSERT INTO episodic_events (tenant, ns, cursor, id, type, payload, role, session_id, metadata, dedup_key, supersedes, created_at, seq)
       VALUES ${rows.join(', ')} ON CONFLICT DO NOTHING`,
      params,
    );
  }
}

/** Hides the live events an append supersedes; unknown ids and the event itself are ignored. */
async function supersede(sql: SqlExecutor, e: Stored): Promise<void> {
  const d = e.data as EpisodicEventAppendedData;
  await sql.query(
    `UPDATE episodic_events SET deleted_at = $4, deleted_reason = 'superseded'
     WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND deleted_at IS NULL AND cursor < $5`,
    [e.tenant, e.ns, d.supersedes, d.createdAt, d.cursor],
  );
}

async function expire(sql: SqlExecutor, e: Stored): Promise<void> {
  const d = e.data as EpisodicEventsExpiredData;
  if (d.action === 'hard') {
    await sql.query(`DELETE FROM episodic_events WHERE tenant = $1 AND ns = $2 AND cursor = ANY($3::bigint[])`, [e.tenant, e.ns, d.cursors]);
  } else {
    await sql.query(
      `UPDATE episodic_events SET deleted_at = $4, deleted_reason = 'expired'
       WHERE tenant = $1 AND ns = $2 AND cursor = ANY($3::bigint[]) AND deleted_at IS NULL`,
      [e.tenant, e.ns, d.cursors, e.at],
    );
  }
}

/** Applies events in log order; runs of plain appends go in as multi-row inserts. */
export const episodicProjection: Projection = {
  name: 'episodic_events',
  block: 'episodic',
  tables: ['episodic_events'],
  async apply(sql, events) {
    let appends: Stored[] = [];
    const flush = async () => {
      await insertRows(sql, appends);
      appends = [];
    };
    for (const e of events as Stored[]) {
      if (e.type === 'episodic.event_appended') {
        appends.push(e);
        if ((e.data as EpisodicEventAppendedData).supersedes.length === 0) continue;
        await flush();
        await supersede(sql, e);
      } else {
        await flush();
        await expire(sql, e);
      }
    }
    await flush();
  },
};
