import type { MemsidecarConfig } from '@memsidecar/config';
import { UsageError } from '../args';
import { BLOCKS, EventLog, openReadModelDatabase, projectionRunners, type InfraLogger } from '@memsidecar/platform';

const quiet: InfraLogger = { log: () => {}, warn: (m) => console.error(m), error: (m) => console.error(m) };

/** PGlite is one process's database: while the service runs on it, nobody else may open it. */
async function openBoth(config: MemsidecarConfig) {
  const log = await EventLog.open(config, quiet, { joinRunning: true });
  if (log.joinedRunning && !config.databaseUrl) {
    await log.close();
    throw new UsageError('memsidecar is running on its embedded PGlite database; stop it first (or run it on a Postgres URL)');
  }
  return { log, db: await openReadModelDatabase(config, BLOCKS) };
}

/** `memctl projections status`: how far each read model is behind the log. */
export async function status(config: MemsidecarConfig): Promise<void> {
  const { log, db } = await openBoth(config);
  try {
    for (const runner of projectionRunners(BLOCKS, log, db, quiet)) {
      const [checkpoint, last] = [await runner.checkpoint(), await log.store.lastSeq(runner.filter)];
      console.log(`${runner.name}\tapplied ${checkpoint}\tlog ${last}\t${last > checkpoint ? 'behind' : 'current'}`);
    }
  } finally {
    await db.close();
    await log.close();
  }
}

/**
 * `memctl projections rebuild`: empties every read model and replays the whole log into it.
 * Run it while the service is stopped (with PGlite the database is the service's own file).
 */
export async function rebuild(config: MemsidecarConfig): Promise<void> {
  const { log, db } = await openBoth(config);
  try {
    for (const runner of projectionRunners(BLOCKS, log, db, quiet)) {
      const started = Date.now();
      await db.transaction(async (sql) => {
        for (const table of runner.projection.tables) await sql.query(`TRUNCATE ${table}`);
        await sql.query(`UPDATE mem_checkpoints SET seq = 0, updated_at = now() WHERE name = $1`, [runner.name]);
      });
      await runner.start();
      await runner.catchUp(24 * 3600_000);
      await runner.stop();
      const seconds = (Date.now() - started) / 1000;
      console.log(`${runner.name}: rebuilt up to seq ${runner.applied} in ${seconds.toFixed(1)} s`);
    }
  } finally {
    await db.close();
    await log.close();
  }
}
