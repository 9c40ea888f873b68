import type { StoredEvent } from '@memsidecar/core';
import { envelopeText } from '@memsidecar/event-store';
import type { Projection, SqlExecutor } from '@memsidecar/projections';

/**
 * The session an event belongs to: the one its request was tied to (`Mem-Session-Id`), or for the
 * session block's own events (opened, heartbeats, checkpoints, closed) the session itself.
 */
export const sessionOf = (e: StoredEvent): string | null => e.sessionId ?? (e.block === 'session' ? e.entity : null);

/** The columns the filters use, in table order; the envelope follows them. */
const fieldsOf = (e: StoredEvent) => ({
  seq: e.seq, tenant: e.tenant, agent: e.agent, token_id: e.tokenId, session_id: sessionOf(e), block: e.block,
  ns: e.ns, entity: e.entity, type: e.type, request_id: e.requestId, at: e.at,
});

const COLUMNS = [...Object.keys(fieldsOf({} as StoredEvent)), 'envelope'];

/** An event's row for COPY, its values in `COLUMNS` order; the envelope is the event's text as appended. */
const auditRow = (e: StoredEvent): unknown[] => [...Object.values(fieldsOf(e)), envelopeText(e)];

/**
 * One statement per batch, its rows as one JSON document: Postgres parses it once, which is several
 * times faster than one array per column, and the batch size never meets the parameter limit.
 * A `json` column takes the envelope's text as written, key order included.
 */
async function insertEvents(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
  const rows = events.map((e) => {
    const { seq: _seq, ...envelope } = e;
    return { ...fieldsOf(e), envelope };
  });
  const columns = COLUMNS.join(', ');
  await sql.prepared(
    `INSERT INTO audit_log (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::audit_log, $1::json) ON CONFLICT (seq) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

/**
 * Every event of the log, all blocks and tenants, as it was appended: the audit trail. A bulk load
 * copies the rows in: one row per sequence, so none of them can be there yet.
 */
export const auditProjection: Projection = {
  name: 'audit_log',
  block: 'audit',
  everyBlock: true,
  tables: ['audit_log'],
  apply: (sql, events) => (sql.copyRows ? sql.copyRows('audit_log', COLUMNS, events.map(auditRow)) : insertEvents(sql, events)),
};
