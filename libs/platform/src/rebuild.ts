import { blueGreenRebuild } from './blue-green';
import { projectionRunners } from './infrastructure';
import { SharedLogFeed } from '@memsidecar/projections';
import { REBUILD_BATCH, fillFromLog, rebuilt, type RebuildOptions, type RebuildResult } from './read-model-fill';

/**
 * Rebuilds every read model from the log: blue/green beside the live tables on Postgres, so the
 * service keeps serving and writing; in place on PGlite, whose database only one process opens.
 */
export function rebuildReadModels(o: RebuildOptions): Promise<RebuildResult> {
  return o.live.kind === 'postgres' ? blueGreenRebuild(o) : rebuildInPlace(o);
}

/** Empties every read model and replays the log into it (the service must be stopped). */
async function rebuildInPlace(o: RebuildOptions): Promise<RebuildResult> {
  const runners = projectionRunners(o.blocks, o.log, o.live, o.logger, { maxBatch: REBUILD_BATCH });
  await o.live.transaction(async (sql) => {
    for (const runner of runners) {
      for (const table of runner.projection.tables) await sql.query(`TRUNCATE ${table}`);
      await sql.query(`UPDATE mem_checkpoints SET seq = 0, updated_at = now() WHERE name = $1`, [runner.name]);
    }
  });
  const started = Date.now();
  const feed = new SharedLogFeed(o.log.store, runners, o.logger);
  try {
    await fillFromLog(feed, o);
  } finally {
    await feed.stop();
  }
  return { readModels: runners.map((r) => rebuilt(r, started)) };
}
