import { mkdirSync } from 'node:fs';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import type { Pool } from 'pg';
import { MemError, inChildSpan } from '@memsidecar/core';
import { CopyCollision, copyRows, type CopyColumns, type CopyValue } from './copy-rows';

export type DatabaseKind = 'postgres' | 'pglite';

/** What a projection writes through: plain parameterised SQL inside one transaction. */
export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * A statement whose text never varies (`unnest` of one array per column rather than a VALUES list
   * as long as the batch): parsed and planned once per connection, then only executed.
   */
  prepared<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]>;
  /**
   * Only in a bulk load (see `DatabaseOptions.bulkLoad`): appends rows with COPY, for rows that
   * should not exist yet (see `appendRows`). If one does, the transaction runs again without it.
   */
  copyRows?(table: string, columns: CopyColumns, rows: readonly (readonly CopyValue[])[]): Promise<void>;
}

export interface DatabaseOptions {
  /** A Postgres URL; without one the database is an embedded PGlite in `pgliteDir`. */
  url?: string;
  /** Directory of the embedded database, or `memory://` for a throw-away one. */
  pgliteDir: string;
  entities: MixedList<Function | string | EntitySchema>;
  migrations: MixedList<Function | string>;
  poolSize?: number;
  /**
   * Postgres only: the schema the read models live in, for a rebuild beside the live ones. Every
   * connection searches it first (then `public`, where extensions such as pgvector live), since
   * migrations and projections name their tables unqualified.
   */
  schema?: string;
  /** Postgres only: session settings of every connection (`-c name=value`). */
  settings?: Record<string, string>;
  /**
   * Postgres only: the read models are being filled from empty by one writer (a blue/green
   * rebuild), so transactions offer `copyRows`.
   */
  bulkLoad?: boolean;
}

/** The read-model database: a TypeORM DataSource plus the pg pool it manages, for hot queries. */
export class Database {
  private statementNames = new Map<string, string>();

  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseKind,
    private readonly closeEmbedded: () => Promise<void>,
    private readonly bulkLoad = false,
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
      const settings = { ...(o.schema ? { search_path: `${o.schema},public` } : {}), ...o.settings };
      const options = Object.entries(settings)
        .map(([name, value]) => `-c ${name}=${value}`)
        .join(' ');
      const ds = new DataSource({ ...common, url: o.url, schema: o.schema, poolSize: o.poolSize ?? 10, extra: options ? { options } : undefined });
      await ds.initialize();
      await ds.runMigrations();
      return new Database(ds, 'postgres', async () => {}, o.bulkLoad);
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

  /** Every statement on the pool is prepared: the hot path reads are few, fixed texts. */
  readonly prepared = <T>(sql: string, params: unknown[]): Promise<T[]> => this.query<T>(sql, params);

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const name = this.statementName(sql);
    try {
      // The SQL is parameterised: the span shows the statement, never the values.
      const result = await inChildSpan('db.query', { 'db.system.name': 'postgresql', 'db.query.text': sql }, () => this.pool.query({ name, text: sql, values: params }));
      return result.rows as T[];
    } catch (e) {
      throw asUnavailable(e);
    }
  }

  /** One name per statement text, the same on every connection (each prepares it on first use). */
  private statementName(sql: string): string {
    let name = this.statementNames.get(sql);
    if (!name) {
      name = `mem_q${this.statementNames.size + 1}`;
      this.statementNames.set(sql, name);
    }
    return name;
  }

  /**
   * Runs `work` in one transaction on one pooled connection (committed, or rolled back on error).
   * The read-model hot path uses this instead of TypeORM's transaction wrapper: fewer allocations
   * per batch, same connection pool. In a bulk load, a transaction whose copy collided with a row
   * already there runs again from the start without copies, so `work` must be repeatable.
   */
  async transaction<T>(work: (sql: SqlExecutor) => Promise<T>): Promise<T> {
    if (!this.bulkLoad) return this.runTransaction(work, false);
    try {
      return await this.runTransaction(work, true);
    } catch (e) {
      if (!(e instanceof CopyCollision)) throw e;
      return this.runTransaction(work, false);
    }
  }

  private async runTransaction<T>(work: (sql: SqlExecutor) => Promise<T>, copying: boolean): Promise<T> {
    const client = await this.pool.connect().catch((e) => Promise.reject(asUnavailable(e)));
    try {
      await client.query('BEGIN');
      const executor: SqlExecutor = {
        query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
        prepared: async (sql, params) => (await client.query({ name: this.statementName(sql), text: sql, values: params })).rows,
      };
      if (copying) executor.copyRows = (table, columns, rows) => copyRows(client, table, columns, rows);
      const result = await work(executor);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw asUnavailable(e);
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.closeEmbedded();
  }
}

/** Postgres error classes and socket errors that mean "the database is not reachable right now". */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** Unreachable storage becomes UNAVAILABLE (nothing applied); every other error passes through. */
export function asUnavailable(e: unknown): unknown {
  const code = (e as { code?: string })?.code;
  const message = (e as Error)?.message ?? '';
  if ((code && CONNECTION_CODES.has(code)) || /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return new MemError('UNAVAILABLE', `database unavailable: ${message}`);
  }
  return e;
}
