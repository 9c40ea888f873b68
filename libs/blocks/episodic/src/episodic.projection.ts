import { assertNever, provenanceOf, type StoredEvent } from '@memsidecar/core';
import { appendRows, columnsOf, handles, jsonText, type CopyColumns, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { EpisodicEvent, EpisodicEventAppended, EpisodicEventsExpired } from './episodic.events';

type Stored = StoredEvent<EpisodicEvent>;
type Appended = StoredEvent<EpisodicEventAppended>;

const COLUMNS: CopyColumns = {
  tenant: 'text', ns: 'text', cursor: 'int8', id: 'text', type: 'text', payload: 'json', role: 'text', session_id: 'text',
  metadata: 'jsonb', dedup_key: 'text', supersedes: 'jsonb', created_at: 'timestamptz', seq: 'int8', provenance: 'jsonb',
};
const INSERT_EVENTS = `INSERT INTO episodic_events (${Object.keys(COLUMNS).join(', ')})
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::json[], $7::text[], $8::text[], $9::jsonb[], $10::text[], $11::jsonb[], $12::timestamptz[], $13::bigint[], $14::jsonb[])
  ON CONFLICT DO NOTHING`;

async function insertRows(sql: SqlExecutor, events: Appended[]): Promise<void> {
  const rows = events.map((e) => {
    const d = e.data;
    return [e.tenant, e.ns, d.cursor, d.eventId, d.type, JSON.stringify(d.payload ?? null), d.role, d.sessionId, jsonText(d.metadata), d.dedupKey, JSON.stringify(d.supersedes), d.createdAt, e.seq, jsonText(provenanceOf(e))];
  });
  await appendRows(sql, 'episodic_events', COLUMNS, rows, () => sql.prepared(INSERT_EVENTS, columnsOf(rows)));
}

/** Hides the live events an append supersedes; unknown ids and the event itself are ignored. */
async function supersede(sql: SqlExecutor, e: Appended): Promise<void> {
  const d = e.data;
  await sql.prepared(
    `UPDATE episodic_events SET deleted_at = $4, deleted_reason = 'superseded'
     WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[]) AND deleted_at IS NULL AND cursor < $5`,
    [e.tenant, e.ns, d.supersedes, d.createdAt, d.cursor],
  );
}

async function expire(sql: SqlExecutor, e: StoredEvent<EpisodicEventsExpired>): Promise<void> {
  const d = e.data;
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

const isAppend = (e: Stored): e is Appended => e.type === 'episodic.event_appended';

/** An event that changes rows already there: an expiry, or an append that supersedes others. */
function changesRows(e: Stored): boolean {
  switch (e.type) {
    case 'episodic.event_appended':
      return e.data.supersedes.length > 0;
    case 'episodic.events_expired':
      return true;
    default:
      return assertNever(e);
  }
}

function change(sql: SqlExecutor, e: Stored): Promise<void> {
  switch (e.type) {
    case 'episodic.event_appended':
      return supersede(sql, e);
    case 'episodic.events_expired':
      return expire(sql, e);
    default:
      return assertNever(e);
  }
}

/**
 * Applies events in log order; runs of plain appends go in as multi-row inserts. A bulk load
 * copies the batch's appends in first, then makes its changes in order: the same result, since no
 * change reaches a row appended after it (cursors only grow, and the rows an expiry or a supersede
 * names were there when it was decided). Only an append colliding with a row a hard expiry is
 * about to delete (its dedup key reused) would tell the difference, and a collision makes the
 * transaction run again without copies, in order.
 */
export const episodicProjection: Projection<EpisodicEvent> = {
  name: 'episodic_events',
  block: 'episodic',
  tables: ['episodic_events'],
  canHandle: handles<EpisodicEvent>({ 'episodic.event_appended': true, 'episodic.events_expired': true }),
  async apply(sql, events) {
    if (sql.copyRows) {
      await insertRows(sql, events.filter(isAppend));
      for (const e of events.filter(changesRows)) await change(sql, e);
      return;
    }
    let appends: Appended[] = [];
    for (const e of events) {
      if (isAppend(e)) appends.push(e);
      if (!changesRows(e)) continue;
      await insertRows(sql, appends);
      appends = [];
      await change(sql, e);
    }
    await insertRows(sql, appends);
  },
};
