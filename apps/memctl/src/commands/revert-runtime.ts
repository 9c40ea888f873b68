import type { MemsidecarConfig } from '@memsidecar/config';
import type { Block } from '@memsidecar/core';
import { AggregateRuntime, type EventLog } from '@memsidecar/event-store';
import { BLOCKS, NatsLog, projectionRunners } from '@memsidecar/platform';
import { ReadModels, type Database } from '@memsidecar/projections';
import { openBoth, quiet } from './projections';

/** What a revert runs on: the log and an aggregate runtime of its own. */
export interface LogRuntime {
  runtime: AggregateRuntime;
  store: EventLog;
}

/** ... and, for a block whose decisions read its read model (semantic, facts), the read models. */
export interface ReadModelRuntime extends LogRuntime {
  readModels: ReadModels;
  db: Database;
  config: MemsidecarConfig;
}

/** Appends under the same optimistic concurrency as any instance; memctl names no request ids. */
const runtimeOn = (config: MemsidecarConfig, log: NatsLog, onAppended?: (block: Block, seq: number) => void) =>
  new AggregateRuntime(log.store, { find: async () => null }, { prefix: config.subjectPrefix, cachedAggregates: 1, conflictRetries: 20, rememberedRequests: 1 }, onAppended);

/** The log alone: works whether the service runs or not (a running service applies the event like its own). */
export async function withLog<T>(config: MemsidecarConfig, work: (deps: LogRuntime) => Promise<T>): Promise<T> {
  const log = await NatsLog.open(config, quiet, { joinRunning: true });
  try {
    return await work({ runtime: runtimeOn(config, log), store: log.store });
  } finally {
    await log.close();
  }
}

/**
 * The log and the read models, which wait for the log as a service instance's do: beside a running
 * service on Postgres (which keeps applying them), or with the service stopped.
 */
export async function withReadModels<T>(config: MemsidecarConfig, work: (deps: ReadModelRuntime) => Promise<T>): Promise<T> {
  const { log, db } = await openBoth(config);
  const readModels = new ReadModels(projectionRunners(BLOCKS, log, db, quiet), db, config.limits.readWaitMs, { log: log.store, logger: quiet });
  try {
    await readModels.start();
    const runtime = runtimeOn(config, log, (block, seq) => readModels.noteAppended(block, seq));
    return await work({ runtime, store: log.store, readModels, db, config });
  } finally {
    await readModels.stop();
    await db.close();
    await log.close();
  }
}
