import type { BlockDefinition } from '@memsidecar/api';
import type { MemsidecarConfig } from '@memsidecar/config';
import type { Database, ProjectionRunner, SharedLogFeed } from '@memsidecar/projections';
import type { NatsLog, InfraLogger } from './infrastructure';

/** Events per transaction while rebuilding: far fewer commits than the live batches, same code. */
export const REBUILD_BATCH = 5_000;
const FILL_TIMEOUT_MS = 7 * 24 * 3600_000;
/** Catch-up rounds end once every read model is this close to the log (in stream sequences). */
const SMALL_REMAINDER = 2_000;
const MAX_ROUNDS = 20;

export interface RebuildOptions {
  config: MemsidecarConfig;
  blocks: BlockDefinition[];
  log: NatsLog;
  /** The database the service reads from. */
  live: Database;
  logger: InfraLogger;
  progress?: RebuildProgress;
  /** Blue/green only: drop the replaced tables instead of keeping them for a rollback. */
  dropOld?: boolean;
}

export interface RebuildProgress {
  /** The runners started filling from the log; the function returned ends the display. */
  filling(runners: ProjectionRunner[]): () => void;
  /** A step beyond filling (index builds, the switch), for the operator. */
  step(message: string): void;
}

export interface RebuiltReadModel {
  name: string;
  /** The checkpoint the read model stands at after the rebuild. */
  applied: number;
  events: number;
  seconds: number;
}

export interface RebuildResult {
  readModels: RebuiltReadModel[];
  /** Blue/green: where the replaced tables and their checkpoints were kept (absent when dropped or in place). */
  backupSchema?: string;
}

/** Starts feeding the runners and catches them up with the log, showing their progress. */
export async function fillFromLog(feed: SharedLogFeed, o: Pick<RebuildOptions, 'log' | 'progress'>): Promise<void> {
  await feed.start();
  const stopShowing = o.progress?.filling(feed.runners);
  try {
    await catchUpWithLog(feed, o.log);
  } finally {
    stopShowing?.();
  }
}

/**
 * Catches the runners up with the log again and again while writes continue, until every one is
 * within a few events of its end: what is left is quick to apply under a lock.
 */
export async function catchUpWithLog(feed: SharedLogFeed, log: NatsLog): Promise<void> {
  for (let round = 1; ; round++) {
    await catchUpFed(feed, FILL_TIMEOUT_MS);
    const behind = await Promise.all(feed.runners.map(async (r) => (await log.store.lastSeq(r.filter)) - r.applied));
    if (Math.max(...behind) <= SMALL_REMAINDER || round >= MAX_ROUNDS) return;
  }
}

export const rebuilt = (r: ProjectionRunner, started: number): RebuiltReadModel => ({
  name: r.name,
  applied: r.applied,
  events: r.stats.events,
  seconds: (Date.now() - started) / 1000,
});

/** Every runner of the feed up to `upTo` (the log's end by default). */
export const catchUpFed = (feed: SharedLogFeed, timeoutMs: number, upTo?: number): Promise<unknown> =>
  Promise.all(feed.runners.map((r) => r.catchUp(timeoutMs, upTo)));
