import type { StoredEvent } from '@memsidecar/core';
import { columnsOf, jsonText, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { EpisodicEvent, EpisodicEventAppendedData, EpisodicEventsExpiredData } from './episodic.events';

type Stored = StoredEvent<EpisodicEvent>;

const INSERT_EVENTS = `INSERT INTO episodic_events (tenant, ns, cursor, id, type, payload, role, session_id, metadata, dedup_key, supersedes, created_at, seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::json[], $7::text[], $8::text[], $9::jsonb[], $10::text[], $11::jsonb[], $12::timestamptz[], $13::bigint[])
  ON CONFLICT DO NOTHING`;

async function insertRows(sql: SqlExecutor, events: Stored[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    const d = e.data as EpisodicEventAppendedData;
    return [e.tenant, e.ns, d.cursor, d.eventId, d.type, JSON.stringify(d.payload ?? null), d.role, d.sessionId, jsonText(d.metadata), d.dedupKey, JSON.stringify(d.supersedes), d.createdAt, e.seq];
  });
  await sql.prepared(INSERT_EVENTS, columnsOf(rows));
}

/** Hides the live events an append supersedes; unknown ids and the event itself are ignored. */
async function supersede(sql: SqlExecutor, e: Stored): Promise<void> {
  const d = e.data as EpisodicEventAppendedData;
  await sql.prepared(
    `UPDATE episodic_events SET deleted_at = $4, deleted_reason = 'superseded'
     WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND deleted_at IS NULL AND cursor < $5`,
    [e.tenant, e.ns, d.supersedes, d.createdAt, d.cursor],
  );
}

async function expire(sql: SqlExecutor, e: Stored): Promise<void> {
  const d = e.data as EpisodicEventsExpiredData;
  if (d.action === 'hard') {
    await sql.prepared(`DELETE FROM episodic_events WHERE tenant = $1 AND ns = $2 AND cursor = ANY($3::bigint[])`, [e.tenant, e.ns, d.cursors]);
  } else {
    await sql.prepared(
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
