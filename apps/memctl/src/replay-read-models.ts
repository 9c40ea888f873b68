import { ProjectionRunner, withRequestLedger, type Database } from '@memsidecar/projections';
import { BLOCKS, REBUILD_BATCH, type NatsLog, type InfraLogger } from '@memsidecar/platform';

export interface ReplayedReadModel {
  name: string;
  /** The log position the read model stands at: every event of its block up to here is applied. */
  untilSeq: number;
  /** Its last applied event (its checkpoint), at or below `untilSeq`. */
  checkpoint: number;
  events: number;
  seconds: number;
}

export const describeReplayed = (r: ReplayedReadModel): string =>
  `${r.name}: seq ${r.untilSeq} (last event ${r.checkpoint}), ${r.events} events in ${r.seconds.toFixed(1)} s, ` +
  `${Math.round(r.events / Math.max(r.seconds, 0.001))} events/s`;

const REPLAY_TIMEOUT_MS = 24 * 3600_000;

/**
 * Fills every read model in `db` (fresh or emptied) from the log with the same runners the service
 * uses, all at once, each up to its own sequence (so verify can stop each at its live checkpoint).
 */
export async function replayReadModels(
  log: NatsLog,
  db: Database,
  untilSeqOf: (readModel: string) => number,
  logger: InfraLogger,
  onReplayed: (r: ReplayedReadModel) => void,
): Promise<ReplayedReadModel[]> {
  const projections = withRequestLedger(BLOCKS.flatMap((b) => b.projections));
  return Promise.all(
    projections.map(async (projection) => {
      const untilSeq = untilSeqOf(projection.name);
      const runner = new ProjectionRunner(projection, log.store, db, logger, { untilSeq, maxBatch: REBUILD_BATCH });
      const started = Date.now();
      await runner.start();
      try {
        await runner.catchUp(REPLAY_TIMEOUT_MS);
      } finally {
        await runner.stop();
      }
      const replayed = { name: runner.name, untilSeq, checkpoint: await runner.checkpoint(), events: runner.stats.events, seconds: (Date.now() - started) / 1000 };
      onReplayed(replayed);
      return replayed;
    }),
  );
}
