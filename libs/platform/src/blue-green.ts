import { MemError, allEventsFilter } from '@memsidecar/core';
import { SharedLogFeed, isConnectionFailure, type Database, type ProjectionRunner, type SqlExecutor } from '@memsidecar/projections';
import { openReadModelDatabase, projectionRunners } from './infrastructure';
import { REBUILD_BATCH, catchUpFed, catchUpWithLog, fillFromLog, rebuilt, type RebuildOptions, type RebuildResult } from './read-model-fill';

/** Where the new read models are built, beside the live ones. */
export const NEXT_SCHEMA = 'memsidecar_next';
/**
 * Tables of the new schema that are not swapped in: the live checkpoints are moved forward in place
 * (live runners lock them, see `switchOver`), and the migrations record is the same in both.
 */
const STAYING = new Set(['mem_checkpoints', 'migrations']);
/** Session advisory lock: one rebuild per database at a time ('memr'). */
const REBUILD_LOCK = 0x6d656d72;
/** The final catch-up runs while live runners wait; it only has the last few events to apply. */
const SWITCH_CATCH_UP_MS = 120_000;
/**
 * How long the switch waits for a live table (a long read holds it); the reads queued behind the
 * switch wait as long. Then it lets go, and tries again a few times.
 */
const SWITCH_LOCK_TIMEOUT = '5s';
const SWITCH_ATTEMPTS = 3;
const LOCK_NOT_AVAILABLE = '55P03';
/** Index builds running at once: each is one backend sorting a whole table. */
const PARALLEL_INDEX_BUILDS = 2;
/** The new tables are analyzed each time the events applied to them have doubled, from this many. */
const FIRST_ANALYZE_AT = 2_000;
const ANALYZE_CHECK_MS = 1_000;
/** Rows sampled per analyze while filling are 300 times this (the default target is 100). */
const SAMPLE_STATISTICS_TARGET = 10;

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** One rebuild per database; a second one is refused instead of fighting over the new schema. */
export async function blueGreenRebuild(o: RebuildOptions): Promise<RebuildResult> {
  // Checked out with an error listener: the server going away fails the rebuild, not the process.
  return o.live.withClient(async (guard) => {
    const { rows } = await guard.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1) AS locked`, [REBUILD_LOCK]);
    if (!rows[0].locked) throw new MemError('FAILED_PRECONDITION', 'another projections rebuild is running on this database');
    try {
      return await rebuildBesideLive(o);
    } finally {
      // A lost connection took its session's lock with it.
      await guard.query(`SELECT pg_advisory_unlock($1)`, [REBUILD_LOCK]).catch((e) => {
        if (!isConnectionFailure(e)) throw e;
      });
    }
  });
}

/**
 * Migrates an empty schema, fills it from the log with the same runners the service uses (while
 * the service keeps serving from the live tables), then swaps it in under the live checkpoints' locks.
 */
async function rebuildBesideLive(o: RebuildOptions): Promise<RebuildResult> {
  const ddl = (statement: string) => o.live.transaction((sql) => sql.query(statement));
  const [{ schema: liveSchema }] = await o.live.query<{ schema: string }>(`SELECT current_schema() AS schema`);
  // A schema left by a rebuild that did not finish holds nothing the service reads.
  await ddl(`DROP SCHEMA IF EXISTS ${NEXT_SCHEMA} CASCADE`);
  await ddl(`CREATE SCHEMA ${NEXT_SCHEMA}`);
  // Asynchronous commit is safe here: nothing reads this schema before the switch, whose own
  // (synchronous) commit flushes the log up to and including every transaction before it.
  const next = await openReadModelDatabase(o.config, o.blocks, {
    schema: NEXT_SCHEMA,
    settings: { synchronous_commit: 'off', maintenance_work_mem: '256MB', ...(await fastToastCompression(o.live)) },
    bulkLoad: true,
    logger: o.logger,
  });
  const runners = projectionRunners(o.blocks, o.log, next, o.logger, { maxBatch: REBUILD_BATCH });
  const feed = new SharedLogFeed(o.log.store, runners);
  let switched = false;
  try {
    const started = Date.now();
    const deferred = await dropSecondaryIndexes(next);
    const statistics = keepStatisticsFresh(next, runners);
    try {
      await fillFromLog(feed, o);
    } finally {
      await statistics.stop();
    }
    o.progress?.step(`building ${deferred.length} indexes and analyzing the new tables`);
    await buildIndexes(next, deferred);
    await catchUpWithLog(feed, o.log);
    const backupSchema = await switchOverWithRetries(o, feed, liveSchema);
    switched = true;
    if (o.dropOld) await ddl(`DROP SCHEMA ${backupSchema} CASCADE`);
    return { readModels: runners.map((r) => rebuilt(r, started)), backupSchema: o.dropOld ? undefined : backupSchema };
  } finally {
    await feed.stop();
    await next.close();
    if (!switched) await ddl(`DROP SCHEMA IF EXISTS ${NEXT_SCHEMA} CASCADE`).catch(() => undefined);
  }
}

/**
 * lz4 where the server has it: pglz was the costliest single function of a rebuild, trying to
 * compress large values (vectors, their events) that hardly compress. Rows keep the method they
 * were written with, so the live tables may mix both.
 */
async function fastToastCompression(live: Database): Promise<Record<string, string>> {
  const [row] = await live.query<{ lz4: boolean }>(`SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`);
  return row?.lz4 ? { default_toast_compression: 'lz4' } : {};
}

/**
 * Secondary indexes are built once the tables are full: one sort per index is far cheaper than
 * maintaining it row by row. Unique ones stay, since the projections' ON CONFLICT needs them, and
 * no projection's writes look rows up through a non-unique one (they use the primary keys).
 */
async function dropSecondaryIndexes(next: Database): Promise<DeferredIndex[]> {
  const indexes = await next.query<DeferredIndex & { name: string }>(
    `SELECT c.relname AS name, t.relname AS "table", pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND NOT i.indisunique ORDER BY c.relname`,
    [NEXT_SCHEMA],
  );
  await next.transaction(async (sql) => {
    for (const { name } of indexes) await sql.query(`DROP INDEX ${NEXT_SCHEMA}.${ident(name)}`);
  });
  return indexes.map(({ table, definition }) => ({ table, definition }));
}

interface DeferredIndex {
  table: string;
  definition: string;
}

/**
 * Builds the deferred indexes, then gives the planner statistics before the first live query. The
 * builds and analyses share a few workers, those of the largest tables first, so that no long
 * build is left running alone at the end.
 */
async function buildIndexes(next: Database, deferred: DeferredIndex[]): Promise<void> {
  const tables = await next.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY pg_total_relation_size(format('%I.%I', schemaname, tablename)) DESC`,
    [NEXT_SCHEMA],
  );
  const builds = tables.flatMap(({ name }) => deferred.filter((d) => d.table === name).map((d) => () => next.transaction((sql) => sql.query(d.definition))));
  const analyses = tables.map(({ name }) => () => analyze(next, name));
  await inParallel([...builds, ...analyses], PARALLEL_INDEX_BUILDS);
}

async function inParallel(tasks: (() => Promise<unknown>)[], workers: number): Promise<void> {
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await task();
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

async function analyzeAll(next: Database, o: { sample?: boolean }): Promise<void> {
  for (const { name } of await tablesOf(next, NEXT_SCHEMA)) await analyze(next, name, o);
}

/** `sample`: a small sample, enough for the plans while filling; the final statistics use the default. */
async function analyze(next: Database, table: string, o: { sample?: boolean } = {}): Promise<void> {
  await next.transaction(async (sql) => {
    if (o.sample) await sql.query(`SET LOCAL default_statistics_target = ${SAMPLE_STATISTICS_TARGET}`);
    await sql.query(`ANALYZE ${NEXT_SCHEMA}.${ident(table)}`);
  });
}

/**
 * Fresh tables have no statistics, and without them the planner walks a whole namespace for an
 * episodic expiry or a supersede, or scans a table to join a batch of deletes, instead of looking
 * the rows up: the projections would slow down as the tables grow. Autovacuum may be off or late,
 * so the fill analyzes them itself, on small samples.
 */
function keepStatisticsFresh(next: Database, runners: ProjectionRunner[]): { stop(): Promise<void> } {
  let analyzedAt = FIRST_ANALYZE_AT / 2;
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    const applied = runners.reduce((n, r) => n + r.stats.events, 0);
    if (running || applied < 2 * analyzedAt) return;
    analyzedAt = applied;
    running = analyzeAll(next, { sample: true })
      .catch(() => undefined)
      .finally(() => (running = null));
  }, ANALYZE_CHECK_MS);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The switch, in one transaction on the live database. Why no event is missed or applied twice:
 *
 * 1. `SELECT … FOR UPDATE` on the live checkpoints waits for every live runner transaction in
 *    flight and then blocks the next ones at their first statement, the claim
 *    `UPDATE mem_checkpoints … WHERE seq < first`. So from here on the live tables hold exactly
 *    the events up to the checkpoints P we read, and every live runner's position is some P <= H,
 *    the head of the log read after taking the locks (those rows, then the tables to replace).
 * 2. The new runners apply every event up to H (and possibly a few more), then stop; their
 *    checkpoints C >= H (or the block's last event before H) are exactly what the new tables hold.
 * 3. The new tables replace the live ones and the live checkpoints become C. When the commit
 *    releases the locks, a blocked live runner re-checks its claim against C: a batch starting at
 *    or below C fails the claim and takes the `FOR UPDATE` path, which applies only the events
 *    above C; a batch starting above C is claimed as usual, and no event of its block lies between
 *    C and it, because the runner's batches are contiguous from P <= C. So every event lands in
 *    the new tables once: up to C from the rebuild, above C from the live runners.
 *
 * Tables are unqualified in every statement, so live connections resolve them to the new tables
 * from the next statement on (a prepared statement is re-planned when its table moves).
 */
async function switchOver(o: RebuildOptions, feed: SharedLogFeed, liveSchema: string): Promise<string> {
  const { runners } = feed;
  const live = ident(liveSchema);
  const backup = `memsidecar_old_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}`;
  const names = runners.map((r) => r.name);
  await o.live.transaction(async (sql) => {
    await sql.query(`SET LOCAL lock_timeout = '${SWITCH_LOCK_TIMEOUT}'`);
    // A read model new in this version has no live checkpoint yet: create it so that it is locked too.
    await sql.query(`INSERT INTO ${live}.mem_checkpoints (name, seq) SELECT unnest($1::text[]), 0 ON CONFLICT (name) DO NOTHING`, [names]);
    const replaced = await sql.query<{ name: string; seq: string }>(
      `SELECT name, seq FROM ${live}.mem_checkpoints WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE`,
      [names],
    );
    // Every lock the moves need, taken while giving up is still harmless (the feed still runs).
    const replacing = await sql.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename IN (SELECT tablename FROM pg_tables WHERE schemaname = $2)`,
      [liveSchema, NEXT_SCHEMA],
    );
    const lockable = replacing.filter((t) => !STAYING.has(t.name)).map((t) => `${live}.${ident(t.name)}`);
    if (lockable.length) await sql.query(`LOCK TABLE ${lockable.join(', ')} IN ACCESS EXCLUSIVE MODE`);
    const head = await o.log.store.lastSeq(allEventsFilter(o.config.subjectPrefix));
    await catchUpFed(feed, SWITCH_CATCH_UP_MS, head);
    await feed.stop();
    const reached = await Promise.all(runners.map((r) => r.checkpoint()));
    for (const { name, seq } of replaced) {
      // Cannot happen while the log only grows; if it did, events between would be lost: refuse.
      if (reached[names.indexOf(name)] < Number(seq)) throw new Error(`read model ${name}: rebuilt to ${reached[names.indexOf(name)]}, but the live one is at ${seq}`);
    }
    await keepForRollback(sql, backup, live, names);
    await swapTables(sql, backup, live);
    await sql.query(
      `UPDATE ${live}.mem_checkpoints c SET seq = n.seq, updated_at = now() FROM unnest($1::text[], $2::bigint[]) AS n(name, seq) WHERE c.name = n.name`,
      [names, reached],
    );
    await sql.query(`DROP SCHEMA ${NEXT_SCHEMA} CASCADE`);
  });
  return backup;
}

/** A switch that could not lock the live tables in time changed nothing: catch up again and retry. */
async function switchOverWithRetries(o: RebuildOptions, feed: SharedLogFeed, liveSchema: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    o.progress?.step('switching: the live read models pause while the last events are applied');
    try {
      return await switchOver(o, feed, liveSchema);
    } catch (e) {
      if ((e as { code?: string }).code !== LOCK_NOT_AVAILABLE || !feed.running || attempt >= SWITCH_ATTEMPTS) throw e;
      o.progress?.step(`the live tables stayed locked for ${SWITCH_LOCK_TIMEOUT} (a long read?); trying again`);
      await catchUpWithLog(feed, o.log);
    }
  }
}

/** The replaced tables go to the backup schema with the checkpoints they stood at. */
async function keepForRollback(sql: SqlExecutor, backup: string, live: string, names: string[]): Promise<void> {
  await sql.query(`CREATE SCHEMA ${backup}`);
  await sql.query(`CREATE TABLE ${backup}.mem_checkpoints (LIKE ${live}.mem_checkpoints INCLUDING ALL)`);
  await sql.query(`INSERT INTO ${backup}.mem_checkpoints SELECT * FROM ${live}.mem_checkpoints WHERE name = ANY($1::text[])`, [names]);
}

const tablesOf = (sql: SqlExecutor, schema: string) =>
  sql.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY tablename`, [schema]);

async function swapTables(sql: SqlExecutor, backup: string, live: string): Promise<void> {
  for (const { name } of (await tablesOf(sql, NEXT_SCHEMA)).filter((t) => !STAYING.has(t.name))) {
    await sql.query(`ALTER TABLE IF EXISTS ${live}.${ident(name)} SET SCHEMA ${backup}`);
    await sql.query(`ALTER TABLE ${NEXT_SCHEMA}.${ident(name)} SET SCHEMA ${live}`);
  }
}
