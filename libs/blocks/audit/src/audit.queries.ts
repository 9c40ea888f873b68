import { MemError, type StoredEvent } from '@memsidecar/core';
import type { EventLog } from '@memsidecar/event-store';
import type { Database } from '@memsidecar/projections';

/** What to look for in the audit log; every field narrows it, all are AND-ed. */
export interface AuditFilter {
  /** Absent: every tenant (the operator's view, never a caller's). */
  tenant?: string;
  /** Token issuance and revocation (block `auth`); only operators see them. */
  includeTokenRecords?: boolean;
  /** Inclusive. */
  fromSeq?: number;
  /** Inclusive. */
  since?: string;
  /** Exclusive. */
  until?: string;
  block?: string;
  ns?: string;
  agent?: string;
  /** Events written under the session, and the session's own events. */
  sessionId?: string;
  /** Exact event types, or prefixes ending in `*` (`kv.*`); empty means every type. */
  types?: string[];
}

export interface AuditPage {
  /** The events as the log holds them, with their stream sequence, oldest first. */
  events: StoredEvent[];
  /** `fromSeq` of the next page; null when there is no more. */
  nextSeq: number | null;
}

/** `kv.*` → the LIKE pattern `kv.%`, with LIKE's own wildcards in the prefix taken literally. */
const likePrefix = (pattern: string): string => `${pattern.slice(0, -1).replace(/[\\%_]/g, '\\$&')}%`;

/**
 * Reads of the audit read model, shared by `audit.query` and `memctl audit`: the read model finds
 * the sequences, and the events are read from the log, which keeps every one of them.
 */
export class AuditQueries {
  constructor(
    private readonly db: Database,
    private readonly store: EventLog,
  ) {}

  async page(filter: AuditFilter, limit: number): Promise<AuditPage> {
    const params: unknown[] = [];
    const param = (value: unknown): string => `$${params.push(value)}`;
    const where: string[] = [];
    if (filter.tenant !== undefined) where.push(`tenant = ${param(filter.tenant)}`);
    if (!filter.includeTokenRecords) where.push(`block <> 'auth'`);
    if (filter.fromSeq !== undefined) where.push(`seq >= ${param(filter.fromSeq)}`);
    // Parsed here as everywhere in the service, so a time without an offset never depends on the database's zone.
    if (filter.since !== undefined) where.push(`at >= ${param(new Date(filter.since))}`);
    if (filter.until !== undefined) where.push(`at < ${param(new Date(filter.until))}`);
    if (filter.block !== undefined) where.push(`block = ${param(filter.block)}`);
    if (filter.ns !== undefined) where.push(`ns = ${param(filter.ns)}`);
    if (filter.agent !== undefined) where.push(`agent = ${param(filter.agent)}`);
    if (filter.sessionId !== undefined) where.push(`session_id = ${param(filter.sessionId)}`);
    // An empty list narrows nothing, as on gRPC, where an empty list cannot be told from none.
    if (filter.types?.length) {
      const exact = filter.types.filter((t) => !t.endsWith('*'));
      const prefixes = filter.types.filter((t) => t.endsWith('*')).map(likePrefix);
      where.push(`(type = ANY(${param(exact)}::text[]) OR type LIKE ANY(${param(prefixes)}::text[]))`);
    }
    // One row more than asked tells whether another page follows, and where it starts.
    const rows = await this.db.query<{ seq: string }>(
      `SELECT seq FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT ${param(limit + 1)}`,
      params,
    );
    const events = await Promise.all(rows.slice(0, limit).map((r) => this.fromLog(Number(r.seq))));
    return { events, nextSeq: rows.length > limit ? Number(rows[limit].seq) : null };
  }

  /** The event, its sequence first. */
  private async fromLog(seq: number): Promise<StoredEvent> {
    const event = await this.store.at(seq);
    if (!event) throw new MemError('INTERNAL', `event ${seq} is in the audit read model but not in the log`);
    const { seq: _seq, ...envelope } = event;
    return { seq, ...envelope };
  }
}
