import { finished } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** A value as COPY's text format writes it: `\N` for null, objects as JSON, the four special characters escaped. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[\\\n\r\t]/.test(text) ? text.replace(/[\\\n\r\t]/g, (c) => ESCAPES[c]) : text;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Appends rows with `COPY … FROM STDIN`: no statement to parse or plan, the cheapest way into
 * Postgres. It has no conflict handling, so it is only for tables a bulk load fills from empty.
 */
export async function copyRows(client: ClientBase, table: string, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
  if (rows.length === 0) return;
  let text = '';
  for (const row of rows) text += row.map(copyField).join('\t') + '\n';
  const stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
  stream.end(text);
  await finished(stream);
}
