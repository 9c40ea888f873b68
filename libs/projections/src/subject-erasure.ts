import { MemError, aggregateSubject, encodeToken, newId, type CommandMeta, type EventEnvelope } from '@memsidecar/core';
import { ConcurrencyConflict, describeSubject, type ErasureSubject, type EventLog, type SubjectKeys } from '@memsidecar/event-store';
import type { Database, SqlExecutor } from './database';
import type { Projection } from './projection';
import type { ReadModels } from './read-models';

/** Ranges of sequences a receipt lists at most; past them it says `truncated`. */
const MAX_RANGES = 1_000;
const APPEND_ATTEMPTS = 10;

/** A run of consecutive log sequences, both ends included. */
export interface SequenceRange {
  from: number;
  to: number;
}

/** What an erasure did: the proof it returns, and the payload of its event in the log. */
export interface ErasureReceipt {
  subject: ErasureSubject;
  /** Ids of the data keys destroyed (their bytes overwritten in the key store). */
  keys: string[];
  /** The subject's events in the log, now read as erased: how many, and their sequences as ranges. */
  events: { count: number; ranges: SequenceRange[]; truncated: boolean };
  /** Rows deleted from each read-model table. */
  rows: Record<string, number>;
  /** Blobs deleted (artifact bytes). */
  blobs: number;
  erasedAt: string;
}

/** The event an erasure appends: its receipt, in clear, under the audit block. */
export const SUBJECT_ERASED = 'audit.subject_erased';

/** A store beside the read models whose data of a subject goes too (the artifacts' blobs). */
export type ErasureHook = (subject: ErasureSubject) => Promise<{ blobs?: number }>;

interface Column {
  table: string;
  hasNs: boolean;
}

/**
 * `audit.erase`: destroys a subject's data keys, so every event of it in the log (and in any copy
 * of it) reads as erased; then deletes its rows from every read model once they hold the log up to
 * now, runs the hooks (blobs), and appends the receipt. Each instance drops what it cached of the
 * subject when the key store tells it (`SubjectKeys.onDestroyed`). Writes to the subject are
 * refused (UNAVAILABLE) from the first step until the last; an erasure that failed half-way is
 * finished by calling it again.
 */
export class SubjectErasure {
  private readonly hooks: ErasureHook[] = [];

  constructor(
    private readonly deps: { store: EventLog; keys: SubjectKeys; db: Database; readModels: ReadModels; projections: readonly Projection[]; waitMs: number },
  ) {}

  /** The data keys payloads are sealed with (blocks seal what they keep beside the log with them too). */
  get keys(): SubjectKeys {
    return this.deps.keys;
  }

  /** Tells `listener` of every subject erased, by this instance or another: for caches this instance holds. */
  onForget(listener: (subject: ErasureSubject) => void): void {
    this.deps.keys.onDestroyed(listener);
  }

  /** Adds a store to empty of every erased subject (once, by the instance that erases). */
  onErase(hook: ErasureHook): void {
    this.hooks.push(hook);
  }

  async erase(subject: ErasureSubject, meta: CommandMeta): Promise<ErasureReceipt & { seq: number }> {
    const keys = await this.deps.keys.destroy(subject);
    await this.deps.readModels.catchUp(this.deps.waitMs);
    const events = await this.sequencesOf(subject);
    const rows = await this.deps.db.transaction((sql) => this.deleteRows(sql, subject));
    let blobs = 0;
    for (const hook of this.hooks) blobs += (await hook(subject)).blobs ?? 0;
    const receipt: ErasureReceipt = { subject, keys, events, rows, blobs, erasedAt: meta.now.toISOString() };
    const seq = await this.appendReceipt(receipt, meta);
    await this.deps.keys.release(subject);
    return { ...receipt, seq };
  }

  private async sequencesOf(subject: ErasureSubject): Promise<ErasureReceipt['events']> {
    const { prefix } = this.deps.store;
    const filter = `${prefix}.evt.*.${encodeToken(subject.tenant)}.${subject.ns === undefined ? '>' : `${encodeToken(subject.ns)}.>`}`;
    const ranges: SequenceRange[] = [];
    let count = 0;
    for await (const e of this.deps.store.read({ filter })) {
      if (!e.erased) continue;
      count++;
      const last = ranges[ranges.length - 1];
      if (last && last.to === e.seq - 1) last.to = e.seq;
      else ranges.push({ from: e.seq, to: e.seq });
    }
    return { count, ranges: ranges.slice(0, MAX_RANGES), truncated: ranges.length > MAX_RANGES };
  }

  /** Every table of a read model that folds payloads: by tenant and namespace, or by tenant alone for a tenant. */
  private async deleteRows(sql: SqlExecutor, subject: ErasureSubject): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const { table, hasNs } of await this.tenantTables(sql)) {
      if (subject.ns !== undefined && !hasNs) continue;
      const where = subject.ns === undefined ? 'tenant = $1' : 'tenant = $1 AND ns = $2';
      const params = subject.ns === undefined ? [subject.tenant] : [subject.tenant, subject.ns];
      const rows = await sql.query<{ n: string }>(`WITH gone AS (DELETE FROM ${table} WHERE ${where} RETURNING 1) SELECT count(*) AS n FROM gone`, params);
      deleted[table] = Number(rows[0].n);
    }
    return deleted;
  }

  private async tenantTables(sql: SqlExecutor): Promise<Column[]> {
    const tables = this.deps.projections.filter((p) => !p.envelopesOnly && p.block !== 'auth').flatMap((p) => p.tables);
    const columns = await sql.query<{ table_name: string; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ANY($1) AND column_name IN ('tenant', 'ns')`,
      [tables],
    );
    const has = (table: string, column: string) => columns.some((c) => c.table_name === table && c.column_name === column);
    return tables.filter((t) => has(t, 'tenant')).map((table) => ({ table, hasNs: has(table, 'ns') }));
  }

  private async appendReceipt(receipt: ErasureReceipt, meta: CommandMeta): Promise<number> {
    const address = { block: 'audit' as const, tenant: receipt.subject.tenant, ns: receipt.subject.ns ?? '', entity: 'erasure' };
    const subject = aggregateSubject(this.deps.store.prefix, address);
    const envelope: EventEnvelope = {
      id: newId(), type: SUBJECT_ERASED, v: 1, at: meta.now.toISOString(), tenant: address.tenant, agent: meta.agent,
      block: 'audit', ns: address.ns, entity: address.entity, data: receipt,
      ...(meta.tokenId ? { tokenId: meta.tokenId } : {}),
      ...(meta.requestId ? { requestId: meta.requestId } : {}),
      ...(meta.transport ? { transport: meta.transport } : {}),
    };
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      try {
        const expectedLastSubjectSeq = await this.deps.store.lastSeq(subject);
        return (await this.deps.store.append(subject, envelope, { expectedLastSubjectSeq })).seq;
      } catch (e) {
        if (!(e instanceof ConcurrencyConflict)) throw e;
      }
    }
    throw new MemError('UNAVAILABLE', `the receipt of erasing ${describeSubject(receipt.subject)} could not be appended; erase again to finish`);
  }
}
