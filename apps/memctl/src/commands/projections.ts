import type { MemsidecarConfig } from '@memsidecar/config';
import { BLOCKS, EventLog, openReadModelDatabase, projectionRunners, type InfraLogger } from '@memsidecar/platform';

const quiet: InfraLogger = { log: () => {}, warn: (m) => console.error(m), error: (m) => console.error(m) };

/** `memctl projections status`: how far each read model is behind the log. */
export async function status(config: MemsidecarConfig): Promise<void> {
  const log = await EventLog.open(config, quiet);
  const db = await openReadModelDatabase(config, BLOCKS);
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
  const log = await EventLog.open(config, quiet);
  const db = await openReadModelDatabase(config, BLOCKS);
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
