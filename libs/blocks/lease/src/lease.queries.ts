import type { Database } from '@memsidecar/projections';

export interface LeaseRow {
  key: string;
  holder_id: string;
  holder: string | null;
  fencing_token: string;
  acquired_at: Date;
  expires_at: Date;
  metadata: Record<string, string> | null;
}

export interface LeaseRef {
  tenant: string;
  ns: string;
  key: string;
  holder_id: string;
}

const COLUMNS = 'key, holder_id, holder, fencing_token, acquired_at, expires_at, metadata';
/** Live = held and not expired on the service's clock, passed in as `$3`. */
const LIVE = `status = 'held' AND expires_at > $3`;

/** Reads of the lease read model; expiry is judged against the service's clock, never the database's. */
export class LeaseQueries {
  constructor(private readonly db: Database) {}

  async live(tenant: string, ns: string, key: string, now: Date): Promise<LeaseRow | null> {
    const rows = await this.db.prepared<LeaseRow>(`SELECT ${COLUMNS} FROM lease_entries WHERE tenant = $1 AND ns = $2 AND ${LIVE} AND key = $4`, [
      tenant,
      ns,
      now,
      key,
    ]);
    return rows[0] ?? null;
  }

  /** Live leases under a prefix in byte order (the key column is COLLATE "C"). */
  async list(tenant: string, ns: string, prefix: string, now: Date): Promise<LeaseRow[]> {
    return this.db.prepared<LeaseRow>(
      `SELECT ${COLUMNS} FROM lease_entries WHERE tenant = $1 AND ns = $2 AND ${LIVE} AND key >= $4 AND starts_with(key, $4) ORDER BY key`,
      [tenant, ns, now, prefix],
    );
  }

  /** Leases a session still holds as far as the read model knows; the decider judges expiry. */
  async heldBySession(tenant: string, sessionId: string): Promise<LeaseRef[]> {
    return this.db.prepared<LeaseRef>(`SELECT tenant, ns, key, holder_id FROM lease_entries WHERE tenant = $1 AND session_id = $2 AND status = 'held'`, [
      tenant,
      sessionId,
    ]);
  }

  /** Held leases past their expiry whose lapse is not recorded in the log yet, oldest first. */
  async lapsed(now: Date, limit: number): Promise<LeaseRef[]> {
    return this.db.prepared<LeaseRef>(
      `SELECT tenant, ns, key, holder_id FROM lease_entries WHERE status = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
  }
}
