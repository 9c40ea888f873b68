import { SESSION_LEASE_RELEASE_CHECKPOINT } from '@memsidecar/session';
import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';
import type { MemsidecarConfig } from '@memsidecar/config';
import type { Database, SqlExecutor } from '@memsidecar/projections';
import { BLOCKS, openReadModelDatabase } from '@memsidecar/platform';
import { describeReplayed, replayReadModels } from '../replay-read-models';
import { diffTable, tablesOf, type DiffOptions, type Difference } from '../table-diff';
import { openBoth, quiet } from './projections';

/**
 * What a replay cannot reproduce, because it was never in the log. Everything else must match.
 */
function notFromTheLog(config: MemsidecarConfig, now: Date): DiffOptions {
  // Request ids past the retention are deleted from the live ledger by a periodic sweep and are
  // all in the rebuilt one: only those still honoured are compared.
  const honouredSince = new Date(now.getTime() - config.requests.retentionMs).toISOString();
  return {
    ignoredColumns: {
      // When a runner last committed: its bookkeeping on the wall clock, not state of any read model.
      mem_checkpoints: ['updated_at'],
    },
    rowFilters: {
      // A runner writes its checkpoint at 0 when it first starts: a read model that never applied
      // an event is the same with that row or without it. The session lease releaser's checkpoint
      // tracks side effects (lease releases in the log), not a read model.
      mem_checkpoints: `seq > 0 AND name <> '${SESSION_LEASE_RELEASE_CHECKPOINT}'`,
      // Parked events are the history of this deployment's read models, not state derived from the log.
      mem_projection_errors: 'false',
      mem_requests: `at >= '${honouredSince}'`,
    },
  };
}

/**
 * `memctl verify`: rebuilds every read model from the log into a scratch database, each up to the
 * checkpoint the live one had when verify started, and compares them row by row. Exit code 0 when
 * they are identical, 1 when not (each difference is printed).
 */
export async function verify(config: MemsidecarConfig): Promise<void> {
  const { log, db: live } = await openBoth(config);
  let scratch: Scratch | null = null;
  try {
    // Checked out with an error listener: a database that goes away fails verify instead of crashing it.
    await live.withClient(async (liveSession) => {
      // One snapshot for the checkpoints and every live row: writes the service commits meanwhile are not seen.
      await liveSession.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        await liveSession.query(`SET LOCAL TimeZone = 'UTC'`);
        const checkpoints = new Map((await liveSession.query<{ name: string; seq: string }>(`SELECT name, seq FROM mem_checkpoints`)).rows.map((r) => [r.name, Number(r.seq)]));
        const options = notFromTheLog(config, new Date());

        scratch = await openScratch(config, live);
        console.log(`verify: replaying every read model into ${scratch.description}, up to its live checkpoint`);
        await replayReadModels(log, scratch.db, (name) => checkpoints.get(name) ?? 0, quiet, (r) => console.log(`  ${describeReplayed(r)}`));

        const { tables, rows, differing, differences } = await scratch.db.withClient(async (rebuiltSession) => {
          await rebuiltSession.query('BEGIN');
          try {
            await rebuiltSession.query(`SET LOCAL TimeZone = 'UTC'`);
            return await compareAll(executor(liveSession), executor(rebuiltSession), options);
          } finally {
            await rebuiltSession.query('ROLLBACK').catch(() => undefined);
          }
        });
        if (differences === 0) {
          console.log(`verify: identical: ${tables} tables, ${rows} rows match a replay of the log`);
        } else {
          console.log(`verify: ${differences} difference${differences === 1 ? '' : 's'} in ${differing.join(', ')} (${tables} tables, ${rows} live rows compared)`);
          process.exitCode = 1;
        }
      } finally {
        await liveSession.query('ROLLBACK').catch(() => undefined);
      }
    });
  } finally {
    await (scratch as Scratch | null)?.drop();
    await live.close();
    await log.close();
  }
}

/** Every table the migrations created, printing each difference as it is found. */
async function compareAll(live: SqlExecutor, rebuilt: SqlExecutor, options: DiffOptions) {
  const tables = await tablesOf(rebuilt);
  const differing = new Set<string>();
  let differences = 0;
  let rows = 0;
  for (const table of tables) {
    rows += await diffTable(live, rebuilt, table, options, (d) => {
      differences++;
      differing.add(d.table);
      console.log(describeDifference(d));
    });
  }
  return { tables: tables.length, rows, differing: [...differing], differences };
}

interface Scratch {
  db: Database;
  description: string;
  drop(): Promise<void>;
}

/** A throw-away database: a new one on the live Postgres server, or an in-memory PGlite. */
async function openScratch(config: MemsidecarConfig, live: Database): Promise<Scratch> {
  if (!config.databaseUrl) {
    const db = await openReadModelDatabase(config, BLOCKS, { pgliteDir: 'memory://' });
    return { db, description: 'an in-memory PGlite', drop: () => db.close() };
  }
  const name = `memsidecar_verify_${randomBytes(6).toString('hex')}`;
  const dropDatabase = () => live.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined);
  await live.pool.query(`CREATE DATABASE ${name}`);
  const url = new URL(config.databaseUrl);
  url.pathname = `/${name}`;
  try {
    const db = await openReadModelDatabase({ ...config, databaseUrl: url.toString() }, BLOCKS);
    return { db, description: `scratch database ${name}`, drop: () => db.close().then(dropDatabase) };
  } catch (e) {
    await dropDatabase();
    throw e;
  }
}

/** Reads in one snapshot; a one-off comparison has nothing to gain from preparing statements. */
const executor = (client: PoolClient): SqlExecutor => {
  const query = async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[];
  return { query, prepared: query };
};

const MAX_SHOWN = 200;

const shown = (value: string | null): string => (value === null ? 'NULL' : JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value));

const describeDifference = (d: Difference): string =>
  'onlyIn' in d
    ? `${d.table} (${d.key}): row only in the ${d.onlyIn} read model`
    : `${d.table} (${d.key}) ${d.column}: live ${shown(d.live)}, rebuilt ${shown(d.rebuilt)}`;
