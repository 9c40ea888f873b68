import type { Clock, Limits } from '@memsidecar/core';
import type { MemsidecarConfig } from '@memsidecar/config';
import type { AggregateRuntime, EventLog, EventStore, Upcasters } from '@memsidecar/event-store';
import type { Database, Projection, ReadModels, SubjectErasure } from '@memsidecar/projections';
import type { SessionGuard } from './dispatcher';
import type { Operation } from './operation';

export interface BlockLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a block's operations and workers may use; built once per service instance. */
export interface BlockDependencies {
  runtime: AggregateRuntime;
  readModels: ReadModels;
  db: Database;
  /** The event log: JetStream in the service, in memory in the in-process tier. */
  store: EventLog;
  /**
   * The same log's JetStream adapter, for what only NATS offers (the artifacts' object store);
   * absent where the log is in memory.
   */
  jetStream?: EventStore;
  limits: Limits;
  /** Erasure of a tenant or namespace (`audit.erase`), and the hooks blocks add to it for what they hold. */
  erasure: SubjectErasure;
  /** The whole validated configuration, for block settings (e.g. the embedder). */
  config: MemsidecarConfig;
  /** Identifies this service instance in the log (e.g. who detected an orphaned session). */
  instanceId: string;
  /** Where blocks read time and wait for it, outside the time a request was received at (`ctx.now`). */
  clock: Clock;
  logger: BlockLogger;
  /** Where a block reports its own figures; absent where nothing collects them (tests, tools). */
  metrics?: BlockMetrics;
}

/** The JetStream adapter, for a block feature that needs NATS itself; an error where the log is in memory. */
export function jetStreamOf(deps: BlockDependencies, feature: string): EventStore {
  if (!deps.jetStream) throw new Error(`${feature} needs the event log on JetStream, and this one is not`);
  return deps.jetStream;
}

/** Figures blocks report for the service's metrics. */
export interface BlockMetrics {
  /** One call to an embedding model (not answered from the cache): how many texts, how long. */
  embedderCall(embedder: string, texts: number, seconds: number): void;
}

/** A background loop of a block (sweepers, detectors); every instance runs one of each. */
export interface BlockWorker {
  name: string;
  /** It sleeps on `deps.clock` between rounds (a `periodicWorker`): a manual clock drives it. */
  sleepsOnClock?: boolean;
  start(): void;
  stop(): Promise<void>;
}

/** Everything the service needs to know about one block, exported by the block's library. */
export interface BlockDefinition {
  name: string;
  entities: Function[];
  migrations: Function[];
  projections: Projection[];
  /** How to read older versions of this block's events as the current ones; none until an event has a version 2. */
  upcasters?: Upcasters;
  operations(deps: BlockDependencies): Operation[];
  workers?(deps: BlockDependencies): BlockWorker[];
  /** The block that owns sessions checks `Mem-Session-Id`/`Mem-Session-Token` for every request. */
  sessionGuard?(deps: BlockDependencies): SessionGuard;
}
