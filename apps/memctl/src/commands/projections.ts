import type { MemsidecarConfig } from '@memsidecar/config';
import { UsageError, type ParsedArgs } from '../args';
import { showRebuildProgress } from '../rebuild-progress';
import { BLOCKS, NatsLog, openReadModelDatabase, projectionRunners, rebuildReadModels, type InfraLogger } from '@memsidecar/platform';

export const quiet: InfraLogger = { log: () => {}, warn: (m) => console.error(m), error: (m) => console.error(m) };

/** PGlite is one process's database: while the service runs on it, nobody else may open it. */
export async function openBoth(config: MemsidecarConfig) {
  const log = await NatsLog.open(config, quiet, { joinRunning: true });
  if (log.joinedRunning && !config.databaseUrl) {
    await log.close();
    throw new UsageError('memsidecar is running on its embedded PGlite database; stop it first (or run it on a Postgres URL)');
  }
  return { log, db: await openReadModelDatabase(config, BLOCKS) };
}

interface ReadModelStatus {
  readModel: string;
  /** The read model's checkpoint: every event up to it is applied. */
  applied: number;
  /** The log's last sequence among the read model's subjects. */
  logSeq: number;
  /** Events of those subjects after the checkpoint. */
  lag: number;
  state: 'current' | 'behind';
}

/** `memctl projections status [--json]`: how far each read model is behind the log. */
export async function status(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const { log, db } = await openBoth(config);
  try {
    const rows: ReadModelStatus[] = [];
    for (const runner of projectionRunners(BLOCKS, log, db, quiet)) {
      const [applied, logSeq] = [await runner.checkpoint(), await log.store.lastSeq(runner.filter)];
      const lag = logSeq > applied ? await log.store.countAfter(runner.filter, applied) : 0;
      rows.push({ readModel: runner.name, applied, logSeq, lag, state: lag > 0 ? 'behind' : 'current' });
    }
    if (args.options.has('json')) {
      for (const row of rows) console.log(JSON.stringify(row));
      return;
    }
    const width = Math.max('READ MODEL'.length, ...rows.map((r) => r.readModel.length));
    console.log(`${'READ MODEL'.padEnd(width)}  ${'APPLIED'.padStart(10)}  ${'LOG'.padStart(10)}  ${'LAG'.padStart(8)}  STATE`);
    for (const r of rows) {
      console.log(`${r.readModel.padEnd(width)}  ${String(r.applied).padStart(10)}  ${String(r.logSeq).padStart(10)}  ${String(r.lag).padStart(8)}  ${r.state}`);
    }
  } finally {
    await db.close();
    await log.close();
  }
}

/**
 * `memctl projections rebuild [--drop-old]`: every read model rebuilt from the log. On Postgres
 * blue/green while the service runs; on PGlite in place, with the service stopped.
 */
export async function rebuild(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const { log, db } = await openBoth(config);
  try {
    const result = await rebuildReadModels({
      config,
      blocks: BLOCKS,
      log,
      live: db,
      logger: quiet,
      progress: { filling: showRebuildProgress(log.store), step: (message) => console.error(message) },
      dropOld: args.options.has('drop-old'),
    });
    for (const r of result.readModels) {
      console.log(`${r.name}: rebuilt up to seq ${r.applied} in ${r.seconds.toFixed(1)} s (${r.events} events)`);
    }
    if (result.backupSchema) {
      console.log(`the replaced read models are kept in schema ${result.backupSchema} for a rollback; drop them with: DROP SCHEMA ${result.backupSchema} CASCADE`);
    }
  } finally {
    await db.close();
    await log.close();
  }
}
