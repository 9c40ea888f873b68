import type { StoredEvent } from '@memsidecar/core';
import { envelopeText } from '@memsidecar/event-store';
import type { Projection, SqlExecutor } from '@memsidecar/projections';

/**
 * The session an event belongs to: the one its request was tied to (`Mem-Session-Id`), or for the
 * session block's own events (opened, heartbeats, checkpoints, closed) the session itself.
 */
export const sessionOf = (e: StoredEvent): string | null => e.sessionId ?? (e.block === 'session' ? e.entity : null);

const COLUMNS = ['seq', 'tenant', 'agent', 'token_id', 'session_id', 'block', 'ns', 'entity', 'type', 'request_id', 'at', 'envelope'] as const;

/** An event's row, its values in `COLUMNS` order; the envelope is the event's text as appended. */
const auditRow = (e: StoredEvent): unknown[] => [e.seq, e.tenant, e.agent, e.tokenId, sessionOf(e), e.block, e.ns, e.entity, e.type, e.requestId, e.at, envelopeText(e)];

/**
 * One statement per batch, its rows as one JSON document: Postgres parses it once, which is several
 * times faster than one array per column, and the batch size never meets the parameter limit.
 * A `json` column takes the envelope's text as written, key order included.
 */
async function insertEvents(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
  const rows = events.map((e) => {
    const { seq, ...envelope } = e;
    return { seq, tenant: e.tenant, agent: e.agent, token_id: e.tokenId, session_id: sessionOf(e), block: e.block, ns: e.ns, entity: e.entity, type: e.type, request_id: e.requestId, at: e.at, envelope };
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
