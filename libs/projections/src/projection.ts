import type { Block, StoredEvent } from '@memsidecar/core';
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
