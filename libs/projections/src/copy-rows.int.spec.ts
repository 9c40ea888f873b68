import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@memsidecar/testing';
import { CopyCollision, copyRows, type CopyColumns, type CopyValue } from './copy-rows';

const COLUMNS: CopyColumns = { n: 'int8', label: 'text', doc: 'json', tags: 'jsonb', at: 'timestamptz' };

describe('copyRows - binary COPY FROM STDIN on Postgres', () => {
  let pg: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    pg = await createTestDatabase();
    client = new Client({ connectionString: pg.url });
    await client.connect();
    await client.query(`CREATE TABLE copied (n bigint PRIMARY KEY, label text, doc json, tags jsonb, at timestamptz)`);
  });

  afterAll(async () => {
    await client?.end();
    await pg?.drop();
  });

  const readBack = async (from: number, to: number) =>
    (await client.query(`SELECT n::text, label, doc::text, tags, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at FROM copied WHERE n BETWEEN $1 AND $2 ORDER BY n`, [from, to])).rows;

  it('writes every type as Postgres reads it back: text of any kind, numbers past 32 bits, JSON as given, nulls', async () => {
    const awkward = ['tab\there', 'new\nline', 'back\\slash \\N', '\\.', 'emoji 🧠 ünïcödé \u2028', ''];
    const rows: CopyValue[][] = awkward.map((label, i) => [2 ** 40 + i, label, { label, list: [i, null, 'a\tb'] }, [label], '2026-01-01T00:00:00.000Z']);
    rows.push([-5, null, null, null, null]);
    await copyRows(client, 'copied', COLUMNS, rows);
    expect(await readBack(-10, 2 ** 41)).toEqual([
      { n: '-5', label: null, doc: null, tags: null, at: null },
      ...awkward.map((label, i) => ({ n: String(2 ** 40 + i), label, doc: JSON.stringify({ label, list: [i, null, 'a\tb'] }), tags: [label], at: '2026-01-01T00:00:00.000000' })),
    ]);
  });

  it('keeps JSON text exactly as written, and timestamps to the microsecond in any offset', async () => {
    const text = '{"b": 1,  "a": "é"}';
    await copyRows(client, 'copied', COLUMNS, [
      [10, 'text', text, '{"z": [1, 2]}', '1999-12-31T23:59:59.999999Z'],
      [11, 'offset', null, null, '2026-06-30T12:00:00.123456+02:00'],
      [12, 'date', null, null, new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 500))],
    ]);
    expect(await readBack(10, 19)).toEqual([
      { n: '10', label: 'text', doc: text, tags: { z: [1, 2] }, at: '1999-12-31T23:59:59.999999' },
      { n: '11', label: 'offset', doc: null, tags: null, at: '2026-06-30T10:00:00.123456' },
      { n: '12', label: 'date', doc: null, tags: null, at: '1969-12-31T23:59:59.500000' },
    ]);
  });

  it('fails as a collision when a row is already there, and writes none of the rows', async () => {
    await client.query('BEGIN');
    try {
      await expect(copyRows(client, 'copied', COLUMNS, [[20, 'new', null, null, null], [10, 'again', null, null, null]])).rejects.toBeInstanceOf(CopyCollision);
    } finally {
      await client.query('ROLLBACK');
    }
    expect(await readBack(20, 20)).toEqual([]);
    expect((await readBack(10, 10))[0].label).toBe('text');
  });
});
