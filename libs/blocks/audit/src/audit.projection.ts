import type { StoredEvent } from '@memsidecar/core';
import { appendRows, everyEvent, type CopyColumns, type Projection, type SqlExecutor } from '@memsidecar/projections';

/**
 * The session an event belongs to: the one its request was tied to (`Mem-Session-Id`), or for the
 * session block's own events (opened, heartbeats, checkpoints, closed) the session itself.
 */
export const sessionOf = (e: StoredEvent): string | null => e.sessionId ?? (e.block === 'session' ? e.entity : null);

/** The columns the filters use; the events themselves are read from the log (see `AuditQueries`). */
const fieldsOf = (e: StoredEvent) => ({
  seq: e.seq, tenant: e.tenant, agent: e.agent, token_id: e.tokenId, session_id: sessionOf(e), block: e.block,
  ns: e.ns, entity: e.entity, type: e.type, request_id: e.requestId, at: e.at,
});

/** `fieldsOf`'s columns, in its order. */
const COLUMNS: CopyColumns = {
  seq: 'int8', tenant: 'text', agent: 'text', token_id: 'text', session_id: 'text', block: 'text',
  ns: 'text', entity: 'text', type: 'text', request_id: 'text', at: 'timestamptz',
};

/**
 * One statement per batch, its rows as one JSON document: Postgres parses it once, which is several
 * times faster than one array per column, and the batch size never meets the parameter limit.
 */
async function insertEvents(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
  const columns = Object.keys(COLUMNS).join(', ');
  await sql.prepared(
    `INSERT INTO audit_log (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::audit_log, $1::json) ON CONFLICT (seq) DO NOTHING`,
    [JSON.stringify(events.map(fieldsOf))],
  );
}

/** Every event of the log, all blocks and tenants: the audit trail. One row per sequence, so a bulk load copies them in. */
export const auditProjection: Projection = {
  name: 'audit_log',
  block: 'audit',
  everyBlock: true,
  tables: ['audit_log'],
  canHandle: everyEvent,
  apply: (sql, events) => appendRows(sql, 'audit_log', COLUMNS, events.map((e) => Object.values(fieldsOf(e))), () => insertEvents(sql, events)),
};
