import { finished } from 'node:stream/promises';
import type { ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** The Postgres type of a copied column: COPY's binary format writes each in its own wire form. */
export type CopyType = 'text' | 'int8' | 'timestamptz' | 'json' | 'jsonb';

/** A table's columns to copy, in the rows' order: name → type. */
export type CopyColumns = Readonly<Record<string, CopyType>>;

/**
 * What each type takes: text a string; int8 a number; timestamptz an ISO 8601 string or a Date;
 * json and jsonb their text, or a value to encode. Null or undefined is SQL NULL.
 */
export type CopyValue = string | number | Date | object | null | undefined;

const UNIQUE_VIOLATION = '23505';
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const JSONB_VERSION = 1;

/** A copied row collided with a unique key; the transaction it ran in is aborted. */
export class CopyCollision extends Error {}

/**
 * Appends rows with `COPY … FROM STDIN` in the binary format: no statement to parse or plan, no
 * text to escape or parse, the cheapest way into Postgres. COPY has no conflict handling: a row
 * that collides with a unique key fails it with `CopyCollision`, and with it the transaction.
 */
export async function copyRows(client: ClientBase, table: string, columns: CopyColumns, rows: readonly (readonly CopyValue[])[]): Promise<void> {
  if (rows.length === 0) return;
  const stream = client.query(copyFrom(`COPY ${table} (${Object.keys(columns).join(', ')}) FROM STDIN (FORMAT binary)`));
  stream.end(encodeRows(columns, rows));
  try {
    await finished(stream);
  } catch (e) {
    throw (e as { code?: string }).code === UNIQUE_VIOLATION ? new CopyCollision(`${table}: ${(e as Error).message}`) : e;
  }
}

/** The whole COPY binary stream of the rows: signature, flags and extension length, tuples, trailer. */
export function encodeRows(columns: CopyColumns, rows: readonly (readonly CopyValue[])[]): Buffer {
  const types = Object.entries(columns);
  const out = new BinaryWriter(64 + rows.length * types.length * 16);
  out.bytes(SIGNATURE);
  out.int32(0);
  out.int32(0);
  for (const row of rows) {
    out.int16(types.length);
    types.forEach(([name, type], i) => writeField(out, name, type, row[i]));
  }
  out.int16(-1);
  return out.done();
}

function writeField(out: BinaryWriter, name: string, type: CopyType, value: CopyValue): void {
  if (value === null || value === undefined) return out.int32(-1);
  switch (type) {
    case 'text':
      return out.field(String(value));
    case 'int8':
      out.int32(8);
      return out.int64(Number(value));
    case 'timestamptz':
      out.int32(8);
      return out.int64(microsSince2000(value as string | Date, name));
    case 'json':
      return out.field(jsonOf(value));
    case 'jsonb':
      return out.field(jsonOf(value), JSONB_VERSION);
  }
}

const jsonOf = (value: CopyValue): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Postgres' timestamp: microseconds since 2000-01-01 UTC, digits past the millisecond included. */
function microsSince2000(value: string | Date, column: string): number {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`column ${column}: not a timestamp: ${String(value)}`);
  const finer = typeof value === 'string' ? /\.\d{3}(\d{1,3})/.exec(value) : null;
  return (ms - PG_EPOCH_MS) * 1000 + (finer ? Number(finer[1].padEnd(3, '0')) : 0);
}

/** A growing buffer, written front to back in network byte order. */
class BinaryWriter {
  private buf: Buffer;
  private at = 0;

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  int16(v: number): void {
    this.room(2);
    this.at = this.buf.writeInt16BE(v, this.at);
  }

  int32(v: number): void {
    this.room(4);
    this.at = this.buf.writeInt32BE(v, this.at);
  }

  int64(v: number): void {
    const high = Math.floor(v / 2 ** 32);
    this.room(8);
    this.at = this.buf.writeInt32BE(high, this.at);
    this.at = this.buf.writeUInt32BE(v - high * 2 ** 32, this.at);
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }

  /** A length-prefixed field of UTF-8 text, after an optional leading byte (jsonb's version). */
  field(text: string, lead?: number): void {
    this.room(5 + text.length * 3);
    const start = this.at;
    this.at += 4;
    if (lead !== undefined) this.buf[this.at++] = lead;
    this.at += this.buf.write(text, this.at);
    this.buf.writeInt32BE(this.at - start - 4, start);
  }

  done(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}
