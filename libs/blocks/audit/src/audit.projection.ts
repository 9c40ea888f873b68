import type { StoredEvent } from '@memsidecar/core';
import type { Projection, SqlExecutor } from '@memsidecar/projections';

/**
 * The session an event belongs to: the one its request was tied to (`Mem-Session-Id`), or for the
 * session block's own events (opened, heartbeats, checkpoints, closed) the session itself.
 */
export const sessionOf = (e: StoredEvent): string | null => e.sessionId ?? (e.block === 'session' ? e.entity : null);

const COLUMNS = 'seq, tenant, agent, token_id, session_id, block, ns, entity, type, request_id, at, envelope';

/**
 * One statement per batch, its rows as one JSON document: Postgres parses it once, which is several
 * times faster than one array per column, and the batch size never meets the parameter limit.
 * A `json` column takes the envelope's text as written, key order included.
 */
async function insertEvents(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
  const rows = events.map((e) => {
    const { seq, ...envelope } = e;
    return {
      seq,
      tenant: e.tenant,
      agent: e.agent,
      token_id: e.tokenId,
      session_id: sessionOf(e),
      block: e.block,
      ns: e.ns,
      entity: e.entity,
      type: e.type,
      request_id: e.requestId,
      at: e.at,
      envelope,
    };
  });
  await sql.query(
    `INSERT INTO audit_log (${COLUMNS}) SELECT ${COLUMNS} FROM json_populate_recordset(NULL::audit_log, $1::json) ON CONFLICT (seq) DO NOTHING`,
    [JSON.stringify(rows)],
  );
}

/** Every event of the log, all blocks and tenants, as it was appended: the audit trail. */
export const auditProjection: Projection = {
  name: 'audit_log',
  block: 'audit',
  everyBlock: true,
  tables: ['audit_log'],
  apply: insertEvents,
};
