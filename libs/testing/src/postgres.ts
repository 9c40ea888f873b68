import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The system Postgres the tests create their databases in (trust auth on loopback by default). */
export const adminPostgresUrl = (): string =>
  process.env.MEMSIDECAR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const withAdmin = async <T>(work: (c: Client) => Promise<T>): Promise<T> => {
  const client = new Client({ connectionString: adminPostgresUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
};

/** A new, empty database on the system Postgres, dropped again by `drop()`. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `memsidecar_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminPostgresUrl());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
