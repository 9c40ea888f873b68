import { mkdirSync } from 'node:fs';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import type { Pool } from 'pg';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseOptions {
  /** A Postgres URL; without one the database is an embedded PGlite in `pgliteDir`. */
  url?: string;
  /** Directory of the embedded database, or `memory://` for a throw-away one. */
  pgliteDir: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  poolSize?: number;
}

/** The read-model database: a TypeORM DataSource plus the pg pool it manages, for hot queries. */
export class Database {
  private statementNames = new Map<string, string>();

  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseKind,
    private readonly closeEmbedded: () => Promise<void>,
  ) {}

  static async open(o: DatabaseOptions): Promise<Database> {
    const common = {
      type: 'postgres' as const,
      entities: o.entities,
      migrations: o.migrations,
      migrationsTransactionMode: 'each' as const,
      synchronize: false,
      installExtensions: false,
    };
    if (o.url) {
      const ds = new DataSource({ ...common, url: o.url, poolSize: o.poolSize ?? 10 });
      await ds.initialize();
      await ds.runMigrations();
      return new Database(ds, 'postgres', async () => {});
    }
    const { PGlite } = await import('@electric-sql/pglite');
    const { vector } = await import('@electric-sql/pglite-pgvector');
    const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
    if (!o.pgliteDir.startsWith('memory://')) mkdirSync(o.pgliteDir, { recursive: true });
    const pglite = await PGlite.create(o.pgliteDir, { extensions: { vector } });
    // One connection: PGlite is single-session, and pg's pool of one serialises transactions.
    const ds = new DataSource({
      ...common,
      poolSize: 1,
      extra: { connection: createPgConfig(pglite).connection, idleTimeoutMillis: 0 },
    });
    await ds.initialize();
    await ds.runMigrations();
    return new Database(ds, 'pglite', () => pglite.close());
  }

  /** The pool TypeORM connects through; reads on the hot path use it with prepared statements. */
  get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    let name = this.statementNames.get(sql);
    if (!name) {
      name = `mem_q${this.statementNames.size + 1}`;
      this.statementNames.set(sql, name);
    }
    const result = await this.pool.query({ name, text: sql, values: params });
    return result.rows as T[];
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.closeEmbedded();
  }
}
