import type { SqlExecutor } from '@memsidecar/projections';

/** A row on one side only, or one column of a row that differs; `key` is the row's primary key as `column=value` pairs. */
export type Difference =
  | { table: string; key: string; onlyIn: 'live' | 'rebuilt' }
  | { table: string; key: string; column: string; live: string | null; rebuilt: string | null };

export interface DiffOptions {
  /** Columns left out of the comparison, per table. */
  ignoredColumns: Record<string, string[]>;
  /** A condition per table restricting the rows compared, on both sides. */
  rowFilters: Record<string, string>;
}

interface Column {
  name: string;
  integer: boolean;
}

type Row = Record<string, string | null>;

const FETCH_ROWS = 1000;

/**
 * Compares `table` row by row in two databases, each read through one open transaction. Both sides
 * are walked in the same primary-key order (integers by value, everything else by the bytes of its
 * text form) and every column is compared as text, so timestamps, json and arrays compare exactly
 * as Postgres prints them. Returns the number of rows read on the live side.
 */
export async function diffTable(
  live: SqlExecutor,
  rebuilt: SqlExecutor,
  table: string,
  o: DiffOptions,
  onDifference: (d: Difference) => void,
): Promise<number> {
  const ignored = new Set(o.ignoredColumns[table] ?? []);
  // Both databases were migrated by the same code, so the rebuilt side's columns are the live ones.
  const columns = await columnsOf(rebuilt, table);
  const key = await primaryKeyOf(rebuilt, table, columns);
  const compared = columns.filter((c) => !ignored.has(c.name));
  const selected = [...new Set([...key, ...compared])];
  const select = [
    `SELECT ${selected.map((c) => `${ident(c.name)}::text AS ${ident(c.name)}`).join(', ')} FROM ${ident(table)}`,
    o.rowFilters[table] ? `WHERE ${o.rowFilters[table]}` : '',
    `ORDER BY ${key.map((c) => (c.integer ? ident(c.name) : `${ident(c.name)}::text COLLATE "C"`)).join(', ')}`,
  ].join(' ');
  const keyText = (row: Row) => key.map((c) => `${c.name}=${row[c.name]}`).join(', ');
  const liveRows = rowsOf(live, `verify_live_${table}`, select);
  const rebuiltRows = rowsOf(rebuilt, `verify_rebuilt_${table}`, select);
  let [l, r] = [await liveRows.next(), await rebuiltRows.next()];
  let count = 0;
  while (!l.done || !r.done) {
    const order = l.done ? 1 : r.done ? -1 : compareKeys(l.value, r.value, key);
    if (order < 0) {
      onDifference({ table, key: keyText(l.value as Row), onlyIn: 'live' });
    } else if (order > 0) {
      onDifference({ table, key: keyText(r.value as Row), onlyIn: 'rebuilt' });
    } else {
      for (const c of compared) {
        const [a, b] = [(l.value as Row)[c.name], (r.value as Row)[c.name]];
        if (a !== b) onDifference({ table, key: keyText(l.value as Row), column: c.name, live: a, rebuilt: b });
      }
    }
    if (order <= 0) {
      count++;
      l = await liveRows.next();
    }
    if (order >= 0) r = await rebuiltRows.next();
  }
  return count;
}

/** Tables in the database's current schema, except TypeORM's record of the migrations it ran. */
export async function tablesOf(sql: SqlExecutor): Promise<string[]> {
  const rows = await sql.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT IN ('migrations', 'typeorm_metadata') ORDER BY tablename`,
  );
  return rows.map((r) => r.name);
}

async function columnsOf(sql: SqlExecutor, table: string): Promise<Column[]> {
  return sql.query<Column>(
    `SELECT a.attname AS name, a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype) AS integer
       FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [table],
  );
}

async function primaryKeyOf(sql: SqlExecutor, table: string, columns: Column[]): Promise<Column[]> {
  const rows = await sql.query<{ name: string }>(
    `SELECT a.attname AS name FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY k.n`,
    [table],
  );
  if (rows.length === 0) throw new Error(`table ${table} has no primary key to compare rows by`);
  return rows.map((r) => columns.find((c) => c.name === r.name)!);
}

/** A server-side cursor, so a large table never sits in memory. */
async function* rowsOf(sql: SqlExecutor, cursor: string, select: string): AsyncGenerator<Row> {
  await sql.query(`DECLARE ${ident(cursor)} NO SCROLL CURSOR FOR ${select}`);
  try {
    for (;;) {
      const rows = await sql.query<Row>(`FETCH ${FETCH_ROWS} FROM ${ident(cursor)}`);
      yield* rows;
      if (rows.length < FETCH_ROWS) return;
    }
  } finally {
    await sql.query(`CLOSE ${ident(cursor)}`);
  }
}

function compareKeys(a: Row, b: Row, key: Column[]): number {
  for (const c of key) {
    const [x, y] = [a[c.name] ?? '', b[c.name] ?? ''];
    const order = c.integer ? Math.sign(Number(BigInt(x) - BigInt(y))) : Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8'));
    if (order !== 0) return order;
  }
  return 0;
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
