import type { Provenance } from '@memsidecar/core';
import type { Database } from '@memsidecar/projections';

export interface KvRow {
  key: string;
  value?: unknown;
  version: number;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
  metadata: Record<string, string> | null;
  provenance: Provenance | null;
}

const COLUMNS = 'key, version, created_at, updated_at, expires_at, metadata, provenance';
const LIVE = '(expires_at IS NULL OR expires_at > $3)';

/** Reads of the kv read model; expiry is judged against the service's clock, passed in as `now`. */
export class KvQueries {
  constructor(private readonly db: Database) {}

  async get(tenant: string, ns: string, key: string, now: Date): Promise<KvRow | null> {
    const rows = await this.db.prepared<KvRow>(
      `SELECT ${COLUMNS}, value FROM kv_entries WHERE tenant = $1 AND ns = $2 AND ${LIVE} AND key = $4`,
      [tenant, ns, now, key],
    );
    return rows[0] ?? null;
  }

  async getMany(tenant: string, ns: string, keys: string[], now: Date): Promise<KvRow[]> {
    return this.db.prepared<KvRow>(
      `SELECT ${COLUMNS}, value FROM kv_entries WHERE tenant = $1 AND ns = $2 AND ${LIVE} AND key = ANY($4::text[]) ORDER BY key`,
      [tenant, ns, now, [...new Set(keys)]],
    );
  }

  /**
   * Keys in byte order after `startAfter` (descending and below it with `reverse`), fetching one
   * extra row to tell whether more follow.
   */
  async list(
    tenant: string,
    ns: string,
    o: { prefix: string; startAfter: string; limit: number; includeValues: boolean; reverse: boolean },
    now: Date,
  ): Promise<KvRow[]> {
    // Pages are bounded above by the first key past the prefix too, so the index scan stays inside
    // the prefix instead of walking through every key that sorts after it (or, reversed, down from them).
    const params: unknown[] = [tenant, ns, now, o.prefix, o.limit + 1];
    const bounds: string[] = [];
    const bound = (op: '<' | '>', value: string) => bounds.push(` AND key ${op} $${params.push(value)}`);
    const end = keyAfterPrefix(o.prefix);
    if (o.reverse) {
      const upper = lowestBound(o.startAfter === '' ? null : o.startAfter, end);
      if (upper !== null) bound('<', upper);
    } else {
      bound('>', o.startAfter);
      if (end !== null) bound('<', end);
    }
    return this.db.prepared<KvRow>(
      `SELECT ${COLUMNS}${o.includeValues ? ', value' : ''} FROM kv_entries
       WHERE tenant = $1 AND ns = $2 AND ${LIVE} AND key >= $4 AND starts_with(key, $4)${bounds.join('')}
       ORDER BY key ${o.reverse ? 'DESC' : ''} LIMIT $5`,
      params,
    );
  }
}

/** The least string above every string starting with `prefix` (in code point order, which is the "C" collation's UTF-8 byte order); null if none. */
function keyAfterPrefix(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) return points.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
  }
  return null;
}

function lowestBound(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) <= 0 ? a : b;
}
