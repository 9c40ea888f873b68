import type { Block, StoredEvent } from '@memsidecar/core';
import type { CopyColumns, CopyValue } from './copy-rows';
import type { SqlExecutor } from './database';

/** A read model: folds one block's events into Postgres rows. Must be safe to apply in batches. */
export interface Projection {
  /** Name of the read model, also its checkpoint's name. */
  name: string;
  /** The block whose reads wait for this read model; also the events it folds, unless `everyBlock`. */
  block: Block;
  /** Folds the events of every block, not only its own (the audit log). */
  everyBlock?: boolean;
  /** Tables this read model owns, emptied by a rebuild. */
  tables: string[];
  apply(sql: SqlExecutor, events: StoredEvent[]): Promise<void>;
}

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
