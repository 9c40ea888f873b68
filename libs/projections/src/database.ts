import { mkdirSync } from 'node:fs';
import { DataSource, type MixedList, type EntitySchema } from 'typeorm';
import { Client, type Pool, type PoolClient } from 'pg';
import { MemError, inChildSpan } from '@memsidecar/core';
import { CopyCollision, copyRows, type CopyColumns, type CopyValue } from './copy-rows';

export type DatabaseKind = 'postgres' | 'pglite';

/** What a projection writes through: plain parameterised SQL inside one transaction. */
export interface SqlExecutor {
  /** An unnamed statement: parsed and planned on every call, so its text may vary (shape, counts). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /**
   * A statement whose text never varies (`unnest` of one array per column rather than a VALUES list
   * as long as the batch; every value a parameter): parsed and planned once per connection, then
   * only executed. Each distinct text stays prepared on every connection for good, so a text built
   * from values (a limit, a dimension, a number of terms) must go through `query` instead.
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
  /**
   * Postgres only: how long connecting may take, and waiting for a free pooled connection, before
   * it fails as UNAVAILABLE (default 1000 ms), so a dead or hung server is noticed at once.
   */
  connectTimeoutMs?: number;
  /** Where the database's outages and recoveries are told (one line each); stderr by default. */
  logger?: DatabaseLogger;
}

export interface DatabaseLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const STDERR_LOGGER: DatabaseLogger = {
  log: (m) => console.error(m),
  warn: (m) => console.error(m),
  error: (m) => console.error(m),
};

const CONNECT_TIMEOUT_MS = 1_000;
/** While the database is unreachable, a fresh connection tries `SELECT 1` this often. */
const PROBE_EVERY_MS = 250;
/**
 * Distinct texts `prepared` names, at most: far more than the fixed texts of the projections and
 * hot reads, and a bound on what every pooled connection keeps prepared. A text past it is a bug
 * (a value in the text): refused, never prepared.
 */
export const MAX_PREPARED_STATEMENTS = 256;

/** The read-model database: a TypeORM DataSource plus the pg pool it manages, for hot queries. */
export class Database {
  private readonly statementNames = new Map<string, string>();
  private isAvailable = true;
  private unavailableSince = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  /** A check that the server still answers, after a wait for a pooled connection timed out. */
  private checking = false;
  private closed = false;
  private readonly availabilityListeners = new Set<(available: boolean) => void>();

  private constructor(
    readonly dataSource: DataSource,
    readonly kind: DatabaseKind,
    private readonly closeEmbedded: () => Promise<void>,
    private readonly logger: DatabaseLogger,
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
    const logger = o.logger ?? STDERR_LOGGER;
    if (o.url) {
      const settings = { ...(o.schema ? { search_path: `${o.schema},public` } : {}), ...o.settings };
      const options = Object.entries(settings)
        .map(([name, value]) => `-c ${name}=${value}`)
        .join(' ');
      // The pool's own listener for its idle clients' errors (a server that went away): without
      // one such an error would end the process. Bound once the Database exists.
      let onPoolError: (e: Error) => void = () => undefined;
      const ds = new DataSource({
        ...common,
        url: o.url,
        schema: o.schema,
        poolSize: o.poolSize ?? 10,
        poolErrorHandler: (e: Error) => onPoolError(e),
        extra: { connectionTimeoutMillis: o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS, ...(options ? { options } : {}) },
      });
      await ds.initialize();
      try {
        await ds.runMigrations();
      } catch (e) {
        await ds.destroy().catch(() => undefined);
        throw e;
      }
      const db = new Database(ds, 'postgres', async () => {}, logger, o.bulkLoad);
      onPoolError = (e) => {
        if (!isConnectionFailure(e)) logger.warn(`database connection error: ${messageOf(e)}`);
        db.failed(e);
      };
      return db;
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
    return new Database(ds, 'pglite', () => pglite.close(), logger);
  }

  /** The pool TypeORM connects through; check clients out with `withClient`, never `pool.connect()`. */
  get pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  /**
   * False from a failure to reach the server until a probe reaches it again. Statements are still
   * tried meanwhile (and fail fast, by the connect timeout); the embedded PGlite is always available.
   */
  get available(): boolean {
    return this.isAvailable;
  }

  /** Called with the new state each time the database becomes unreachable or reachable again. */
  onAvailabilityChange(listener: (available: boolean) => void): () => void {
    this.availabilityListeners.add(listener);
    return () => this.availabilityListeners.delete(listener);
  }

  /** Distinct statement texts named by `prepared` so far; each is prepared on every pooled connection that ran it. */
  get preparedStatementCount(): number {
    return this.statementNames.size;
  }

  /** An unnamed, parameterised statement: its text may be built per call (shapes, counts, limits). */
  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      // The SQL is parameterised: the span shows the statement, never the values.
      const result = await inChildSpan('db.query', { 'db.system.name': 'postgresql', 'db.query.text': sql }, () => this.pool.query(sql, params));
      return result.rows as T[];
    } catch (e) {
      throw this.failed(e);
    }
  }

  /**
   * A named statement, prepared once per pooled connection and kept for good: only for texts that
   * never vary (every value a parameter). See `SqlExecutor.prepared`.
   */
  readonly prepared = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    const name = this.statementName(sql);
    try {
      const result = await inChildSpan('db.query', { 'db.system.name': 'postgresql', 'db.query.text': sql }, () => this.pool.query({ name, text: sql, values: params }));
      return result.rows as T[];
    } catch (e) {
      throw this.failed(e);
    }
  };

  /** One name per statement text, the same on every connection (each prepares it on first use). */
  private statementName(sql: string): string {
    let name = this.statementNames.get(sql);
    if (!name) {
      if (this.statementNames.size >= MAX_PREPARED_STATEMENTS) {
        throw new MemError('INTERNAL', `more than ${MAX_PREPARED_STATEMENTS} distinct prepared statements: a statement text built from values must use query(), not prepared(): ${sql.slice(0, 200)}`);
      }
      name = `mem_q${this.statementNames.size + 1}`;
      this.statementNames.set(sql, name);
    }
    return name;
  }

  /**
   * Runs `work` on one client checked out of the pool, with an 'error' listener for as long as it
   * is out: a connection that breaks meanwhile (the server went away) fails `work` as UNAVAILABLE
   * instead of ending the process, and is destroyed rather than returned to the pool. `work` must
   * not keep the client.
   */
  async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const out = await this.checkOut();
    try {
      return await work(out.client);
    } catch (e) {
      // Only this client's own connection failing says anything about this database.
      throw out.broken ? this.failed(e) : e;
    } finally {
      out.release();
    }
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
    const out = await this.checkOut();
    const { client } = out;
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
      if (isConnectionFailure(e)) out.broke(e as Error);
      // A connection whose rollback failed is in no known state: it is destroyed, not reused.
      await client.query('ROLLBACK').catch((rollbackError: Error) => out.broke(rollbackError));
      throw this.failed(e);
    } finally {
      out.release();
    }
  }

  /**
   * A client out of the pool with an 'error' listener attached (pg-pool removes its own on
   * checkout, and an 'error' nobody listens to ends the process). `release` returns it to the
   * pool, or destroys it when its connection failed while it was out.
   */
  private async checkOut(): Promise<CheckedOut> {
    const client = await this.pool.connect().catch((e) => Promise.reject(this.failed(e)));
    let broken: Error | undefined;
    const onError = (e: Error) => {
      broken ??= e;
      this.failed(e);
    };
    client.on('error', onError);
    return {
      client,
      get broken() {
        return broken;
      },
      broke: (e) => void (broken ??= e),
      release: () => {
        // Synchronous: pg-pool attaches its idle listener again in release, so no error goes unheard.
        client.off('error', onError);
        client.release(broken);
      },
    };
  }

  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (e) {
      throw this.failed(e);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
    this.availabilityListeners.clear();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.closeEmbedded();
  }

  /**
   * Maps `e` as `asUnavailable` does, and notes a failure to reach the server: the database becomes
   * unavailable until a probe reaches it. A wait for a pooled connection that timed out may only
   * mean every connection is busy, so that one is checked by a probe first.
   */
  private failed(e: unknown): unknown {
    const mapped = asUnavailable(e);
    if (mapped === e || this.kind !== 'postgres' || this.closed) return mapped;
    if (isPoolWaitTimeout(e)) this.checkReachable();
    else this.markUnavailable(messageOf(e));
    return mapped;
  }

  private markUnavailable(reason: string): void {
    if (!this.isAvailable || this.closed) return;
    this.isAvailable = false;
    this.unavailableSince = Date.now();
    this.logger.warn(`database unreachable: ${reason}; reads answer UNAVAILABLE and read models pause until it returns`);
    this.notify(false);
    this.scheduleProbe();
  }

  private markAvailable(): void {
    if (this.isAvailable || this.closed) return;
    this.isAvailable = true;
    this.logger.log(`database reachable again after ${((Date.now() - this.unavailableSince) / 1000).toFixed(1)} s`);
    this.notify(true);
  }

  private notify(available: boolean): void {
    for (const listener of [...this.availabilityListeners]) {
      try {
        listener(available);
      } catch (e) {
        this.logger.error(`database availability listener failed: ${messageOf(e)}`);
      }
    }
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      void this.probe().then((reached) => {
        this.probeTimer = null;
        if (this.closed) return;
        if (reached) this.markAvailable();
        else this.scheduleProbe();
      });
    }, PROBE_EVERY_MS);
    this.probeTimer.unref();
  }

  private checkReachable(): void {
    if (!this.isAvailable || this.checking || this.closed) return;
    this.checking = true;
    void this.probe()
      .then((reached) => {
        if (!reached) this.markUnavailable('no connection could be made in time');
      })
      .finally(() => (this.checking = false));
  }

  /** `SELECT 1` on a fresh connection of its own (so neither a busy pool nor a dead pooled connection answers for the server). */
  private async probe(): Promise<boolean> {
    const client = new Client(this.pool.options);
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

interface CheckedOut {
  client: PoolClient;
  /** The error its connection failed with while checked out, if it did: it is destroyed on release. */
  readonly broken: Error | undefined;
  broke(e: Error): void;
  release(): void;
}

/** Postgres error classes and socket errors that mean "the database is not reachable right now". */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const CONNECTION_MESSAGES = /Connection terminated|connection timeout|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/i;

const messageOf = (e: unknown): string => (e as Error)?.message ?? String(e);

/** pg-pool's answer when no pooled connection came free in time (the pool may just be busy). */
const isPoolWaitTimeout = (e: unknown): boolean => /timeout exceeded when trying to connect/i.test(messageOf(e));

/** Whether `e` means the server could not be reached (or the connection to it broke). */
export function isConnectionFailure(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return Boolean((code && CONNECTION_CODES.has(code)) || CONNECTION_MESSAGES.test((e as Error)?.message ?? ''));
}

/** Unreachable storage becomes UNAVAILABLE (nothing applied); every other error passes through. */
export function asUnavailable(e: unknown): unknown {
  if (e instanceof MemError) return e;
  if (isConnectionFailure(e)) return new MemError('UNAVAILABLE', `database unavailable: ${messageOf(e)}`);
  return e;
}
