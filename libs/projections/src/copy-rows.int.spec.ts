import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@memsidecar/testing';
import { copyRows } from './copy-rows';

describe('copyRows - COPY FROM STDIN on Postgres', () => {
  let pg: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    pg = await createTestDatabase();
    client = new Client({ connectionString: pg.url });
    await client.connect();
    await client.query(`CREATE TABLE copied (n bigint PRIMARY KEY, label text, doc json, at timestamptz)`);
  });

  afterAll(async () => {
    await client?.end();
    await pg?.drop();
  });

  it('writes nulls, objects as JSON and the characters COPY treats specially exactly as given', async () => {
    const awkward = ['tab\there', 'new\nline', 'carriage\rreturn', 'back\\slash \\N', '\\.', 'emoji 🧠 ünïcödé \u2028', ''];
    const rows = awkward.map((label, n) => [n, label, { label, list: [n, null, 'a\tb'] }, new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString()]);
    rows.push([awkward.length, null, null, null]);
    await copyRows(client, 'copied', ['n', 'label', 'doc', 'at'], rows);
    const { rows: back } = await client.query(`SELECT n::int, label, doc, at FROM copied ORDER BY n`);
    expect(back).toEqual(rows.map(([n, label, doc, at]) => ({ n, label, doc, at: at === null ? null : new Date(at as string) })));
  });

  it('refuses a row that is already there, like any COPY: it is for tables filled from empty', async () => {
    await expect(copyRows(client, 'copied', ['n', 'label'], [[0, 'again']])).rejects.toThrow(/duplicate key/);
  });
});
