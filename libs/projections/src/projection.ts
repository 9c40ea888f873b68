import type { Block, DomainEvent, StoredEvent } from '@memsidecar/core';
import type { CopyColumns, CopyValue } from './copy-rows';
import type { SqlExecutor } from './database';

/**
 * A read model: folds one block's events into Postgres rows. Must be safe to apply in batches.
 * `E` is the union of events it folds; the runner hands `apply` only the events `canHandle` accepts.
 */
export type Projection<E extends DomainEvent = DomainEvent> = ProjectionBody<E> & ProjectionSource;

/** Which events a read model folds, and whose reads wait for it. */
export type ProjectionSource =
  /** The block's events; its reads wait for this read model. */
  | { block: Block; everyBlock?: false }
  /** Every block's events; `block`'s reads wait for it (the audit log), or no block's (the request ledger). */
  | { block?: Block; everyBlock: true };

export interface ProjectionBody<E extends DomainEvent> {
  /** Name of the read model, also its checkpoint's name. */
  name: string;
  /** Tables this read model owns, emptied by a rebuild. */
  tables: string[];
  /**
   * It folds envelopes only (the request ledger): erased events still apply. Every other read
   * model skips them, and its rows of an erased subject are deleted by the erasure.
   */
  envelopesOnly?: boolean;
  /**
   * Whether the event is one of `E`. Its block's subjects may carry types this build does not know
   * (written by a newer version); those are skipped rather than misread.
   */
  canHandle(e: StoredEvent): e is StoredEvent<E>;
  // Method signatures (not properties) so that a `Projection<KvEvent>` is still a `Projection`.
  apply(sql: SqlExecutor, events: StoredEvent<E>[]): Promise<void>;
}

/**
 * Every type of the union `E`, each exactly once: a type missing or unknown is a compile error, so
 * a new event cannot be forgotten by a read model. The union is named explicitly:
 * `handles<KvEvent>({ 'kv.value_set': true, 'kv.value_deleted': true })`.
 */
export type EventTypes<E extends DomainEvent> = [E] extends [never] ? 'name the event union: handles<BlockEvent>({ ... })' : Record<E['type'], true>;

/** `canHandle` for a projection of the union `E`, from the list of its types (see `EventTypes`). */
export function handles<E extends DomainEvent = never>(types: NoInfer<EventTypes<E>>): (e: StoredEvent) => e is StoredEvent<E> {
  const known = new Set(Object.keys(types));
  return (e): e is StoredEvent<E> => known.has(e.type);
}

/** `canHandle` for a read model of every event of the log, whatever its type (the audit log). */
export const everyEvent = (_e: StoredEvent): _e is StoredEvent => true;

/**
 * For read models of aggregates whose events carry their whole state: within one batch only each
 * aggregate's newest event matters.
 */
export function newestPerAggregate<E extends StoredEvent>(events: E[]): E[] {
  const newest = new Map<string, E>();
  for (const e of events) newest.set(`${e.tenant}\u0000${e.ns}\u0000${e.entity}`, e);
  return [...newest.values()];
}

/**
 * Rows as one array per column, for `INSERT … SELECT * FROM unnest($1::text[], …)`: the statement
 * reads the same whatever the number of rows, so `SqlExecutor.prepared` plans it once.
 */
export function columnsOf(rows: readonly (readonly unknown[])[]): unknown[][] {
  const columns = Array.from({ length: rows[0]?.length ?? 0 }, () => new Array<unknown>(rows.length));
  rows.forEach((row, r) => row.forEach((value, c) => (columns[c][r] = value)));
  return columns;
}

/** A JSON column's value for `columnsOf`: its text, or SQL NULL for a missing value. */
export const jsonText = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

/**
 * Rows that should not exist yet (one per event): copied in during a bulk load, otherwise written
 * by `insert`, which handles conflicts as the projection always does (and is what a bulk load's
 * transaction runs instead if a row was there after all).
 */
export async function appendRows(
  sql: SqlExecutor,
  table: string,
  columns: CopyColumns,
  rows: readonly (readonly CopyValue[])[],
  insert: () => Promise<unknown>,
): Promise<void> {
  if (rows.length === 0) return;
  await (sql.copyRows ? sql.copyRows(table, columns, rows) : insert());
}
