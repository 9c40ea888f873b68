import type { StoredEvent } from '@memsidecar/core';
import type { CopyColumns } from './copy-rows';
import type { SqlExecutor } from './database';
import { appendRows, columnsOf } from './projection';

const REQUEST_COLUMNS: CopyColumns = { tenant: 'text', request_id: 'text', seq: 'int8', block: 'text', at: 'timestamptz' };
const RECORD_REQUESTS = `INSERT INTO mem_requests (${Object.keys(REQUEST_COLUMNS).join(', ')})
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[]) ON CONFLICT DO NOTHING`;

/**
 * Writes the request ledger (`mem_requests`): which event each request id produced. A block's read
 * models write it in the same transaction as their rows; a request that wrote several events keeps its first.
 */
export async function recordRequests(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
  const rows = events.filter((e) => e.requestId).map((e) => [e.tenant, e.requestId, e.seq, e.block, e.at]);
  await appendRows(sql, 'mem_requests', REQUEST_COLUMNS, rows, () => sql.prepared(RECORD_REQUESTS, columnsOf(rows)));
}
