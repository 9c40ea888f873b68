import { Client } from 'pg';
import type { MemsidecarConfig } from '@memsidecar/config';
import { allEventsFilter } from '@memsidecar/core';
import type { EventStore } from '@memsidecar/event-store';
import { withRequestLedger } from '@memsidecar/projections';
import { BLOCKS, NatsLog, openReadModelDatabase } from '@memsidecar/platform';
import { UsageError, optionalOption, parseTime, requiredOption, type ParsedArgs } from '../args';
import { describeReplayed, replayReadModels } from '../replay-read-models';
import { quiet } from './projections';

/** Every table the migrations create for the read models and their bookkeeping. */
const readModelTables = (): string[] => ['mem_checkpoints', ...new Set(withRequestLedger(BLOCKS.flatMap((b) => b.projections)).flatMap((p) => p.tables))];

/**
 * `memctl replay --into URL [--until SEQ|TIME] [--force]`: every read model rebuilt into another
 * Postgres database as of a point in the log, for looking at what the agents knew then.
 */
export async function replay(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const into = requiredOption(args, 'into');
  const target = databaseName(into);
  if (config.databaseUrl && sameDatabase(into, config.databaseUrl)) throw new UsageError('--into names the live read-model database; give another one');
  const until = untilOption(args);
  const force = args.options.has('force');
  const existing = await memsidecarTablesIn(into);
  if (existing.length > 0 && !force) {
    throw new UsageError(`--into: database ${target} already holds memsidecar tables (${existing.join(', ')}); --force empties them`);
  }
  const log = await NatsLog.open(config, quiet, { joinRunning: true });
  try {
    const untilSeq = await boundarySeq(log.store, until);
    const db = await openReadModelDatabase({ ...config, databaseUrl: into }, BLOCKS);
    try {
      if (force) await db.query(`TRUNCATE ${readModelTables().join(', ')}`);
      console.log(`replaying the log up to seq ${untilSeq} into database ${target}`);
      await replayReadModels(log, db, () => untilSeq, quiet, (r) => console.log(describeReplayed(r)));
      console.log(`database ${target} holds every read model as of seq ${untilSeq}`);
    } finally {
      await db.close();
    }
  } finally {
    await log.close();
  }
}

function untilOption(args: ParsedArgs): number | Date | undefined {
  const until = optionalOption(args, 'until');
  if (until === undefined) return undefined;
  return /^\d+$/.test(until) ? Number(until) : parseTime(until, 'until');
}

/**
 * The last sequence to apply: `--until` as a sequence, or the last event the stream stored at or
 * before `--until` as a time, or the log's end now. A time is judged by the server's storage
 * timestamps rather than the envelopes' `at`: they grow with the sequence, so "everything up to
 * 14:02" is a prefix of the log, the only cut read models (folded in sequence order) can stand at;
 * `at` comes from each instance's clock and need not be in sequence order across instances.
 */
async function boundarySeq(store: EventStore, until: number | Date | undefined): Promise<number> {
  const logEnd = () => store.lastSeq(allEventsFilter(store.options.prefix));
  if (until === undefined) return logEnd();
  if (typeof until === 'number') {
    const end = await logEnd();
    if (until > end) console.error(`memctl: the log ends at seq ${end}; replaying up to there`);
    return Math.min(until, end);
  }
  // Taken first: when nothing is stored after the time, everything up to here is at or before it.
  const end = await logEnd();
  const after = await store.firstSeqAtTime(until, { strictlyAfter: true });
  return after === null ? end : after - 1;
}

async function memsidecarTablesIn(url: string): Promise<string[]> {
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
  } catch (e) {
    throw new UsageError(`--into: cannot connect to database ${databaseName(url)}: ${(e as Error).message}`);
  }
  try {
    const rows = await client.query<{ name: string }>(`SELECT t AS name FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL`, [readModelTables()]);
    return rows.rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

function parseUrl(url: string): URL {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'postgres:' || parsed.protocol === 'postgresql:') return parsed;
  } catch {
    // reported below
  }
  throw new UsageError('--into must be a Postgres URL (postgres://user@host:port/database)');
}

const databaseName = (url: string): string => decodeURIComponent(parseUrl(url).pathname.slice(1));

function sameDatabase(a: string, b: string): boolean {
  const [x, y] = [parseUrl(a), parseUrl(b)];
  return x.hostname === y.hostname && (x.port || '5432') === (y.port || '5432') && databaseName(a) === databaseName(b);
}
