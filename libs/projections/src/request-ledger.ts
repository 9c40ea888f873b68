import type { StoredEvent } from '@memsidecar/core';
import type { CopyColumns } from './copy-rows';
import type { SqlExecutor } from './database';
import { appendRows, columnsOf, everyEvent, type Projection } from './projection';

const REQUEST_COLUMNS: CopyColumns = { tenant: 'text', request_id: 'text', seq: 'int8', block: 'text', at: 'timestamptz' };
const RECORD_REQUESTS = `INSERT INTO mem_requests (${Object.keys(REQUEST_COLUMNS).join(', ')})
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[]) ON CONFLICT DO NOTHING`;

/** The request ledger's read model and checkpoint name. */
export const REQUEST_LEDGER = 'requests';

/**
 * The request ledger (`mem_requests`): which event each `Mem-Request-Id` produced, so a retry after
 * JetStream's duplicate window gets the original result instead of applying twice. A read model of
 * every block's events with its own checkpoint; a request that wrote several events keeps its first.
 * `ReadModels.find` waits for it. Rows older than the retention are deleted (`RequestLedgerRetention`).
 */
export const requestLedger: Projection = {
  name: REQUEST_LEDGER,
  everyBlock: true,
  tables: ['mem_requests'],
  envelopesOnly: true,
  canHandle: everyEvent,
  async apply(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
    const rows = events.filter((e) => e.requestId).map((e) => [e.tenant, e.requestId, e.seq, e.block, e.at]);
    await appendRows(sql, 'mem_requests', REQUEST_COLUMNS, rows, () => sql.prepared(RECORD_REQUESTS, columnsOf(rows)));
  },
};

/** The read models of a deployment: the request ledger and the blocks' own. */
export const withRequestLedger = (blockProjections: readonly Projection[]): Projection[] => [requestLedger, ...blockProjections];
