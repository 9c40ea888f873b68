import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { BlockDefinition } from '@memsidecar/api';
import { systemClock, type Block } from '@memsidecar/core';
import type { MemsidecarConfig } from '@memsidecar/config';
import { AggregateRuntime, EventStore, MasterKey, NatsServerProcess, openSealedEventStore, type SubjectKeys } from '@memsidecar/event-store';
import {
  AppliedRequest,
  BOOKKEEPING_MIGRATIONS,
  Database,
  ProjectionCheckpoint,
  ProjectionRunner,
  ReadModelStatistics,
  ReadModels,
  RequestLedgerRetention,
  SubjectErasure,
  withRequestLedger,
  type DatabaseOptions,
  type RunnerOptions,
} from '@memsidecar/projections';

export interface InfraLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Between attempts to reach a NATS server again: short, since a restarted local server is back in well under a second. */
const RECONNECT_WAIT_MS = 250;

export const natsUrlPath = (dataDir: string): string => join(resolve(dataDir), 'nats.url');

/**
 * The log as reached over NATS: the connections (starting the embedded server when no URL is set)
 * and the JetStream adapter of the `EventLog` port, `store`.
 */
export class NatsLog {
  private lostAt: number | null = null;

  private constructor(
    readonly nc: NatsConnection,
    /**
     * A second connection for streamed replies (`episodic.tail`, `artifact.read`): nats-server slows
     * a connection that publishes to a reader who stopped reading, and that must never be the one
     * requests and appends go through.
     */
    readonly streamsNc: NatsConnection,
    readonly store: EventStore,
    /** The data keys payloads are sealed with, in a KV bucket beside the log. */
    readonly keys: SubjectKeys,
    private readonly embedded: NatsServerProcess | null,
    private readonly dataDir: string,
    /** True when this log joined the embedded server of a service that is running now. */
    readonly joinedRunning = false,
  ) {}

  /** Whether the connection to NATS is up (it reconnects by itself when it is not). */
  get connected(): boolean {
    return this.lostAt === null && !this.nc.isClosed();
  }

  /** Logs the loss of the NATS connection and its return, once each, and keeps `connected` true to them. */
  private watchConnection(logger: InfraLogger): void {
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === 'disconnect' && this.lostAt === null) {
          this.lostAt = Date.now();
          logger.error(`NATS connection lost (${s.server}); requests, appends and read-model feeds wait for it to return`);
        } else if (s.type === 'reconnect' && this.lostAt !== null) {
          logger.log(`NATS connection back (${s.server}) after ${((Date.now() - this.lostAt) / 1000).toFixed(1)} s; read models catch up from their checkpoints`);
          this.lostAt = null;
        }
      }
    })().catch(() => undefined);
  }

  /**
   * `joinRunning` (for tools like memctl): without a NATS URL, use the embedded server a running
   * service wrote to `<data dir>/nats.url` instead of starting (and so replacing) one.
   */
  static async open(config: MemsidecarConfig, logger: InfraLogger, o: { joinRunning?: boolean } = {}): Promise<NatsLog> {
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    let embedded: NatsServerProcess | null = null;
    const running = !config.natsUrl && o.joinRunning ? await runningEmbeddedUrl(dataDir) : undefined;
    let servers = config.natsUrl ?? running;
    if (!servers) {
      embedded = await NatsServerProcess.start({ storeDir: join(dataDir, 'nats'), pidFile: join(dataDir, 'nats.pid') });
      servers = embedded.url;
      writeFileSync(natsUrlPath(dataDir), `${servers}\n`);
      logger.log(`embedded nats-server with JetStream at ${servers} (store ${join(dataDir, 'nats')})`);
    }
    try {
      const { caFile, certFile, keyFile } = config.natsTls;
      const tls = caFile || certFile ? { caFile, certFile, keyFile } : undefined;
      const options = { servers: servers.split(','), maxReconnectAttempts: -1, reconnectTimeWait: RECONNECT_WAIT_MS, noAsyncTraces: true, tls };
      const nc = await connect({ ...options, name: 'memsidecar' });
      const streamsNc = await connect({ ...options, name: 'memsidecar-streams' });
      const logOptions = { prefix: config.subjectPrefix, stream: config.stream, replicas: config.streamReplicas, duplicateWindowMs: config.duplicateWindowMs };
      const { masterKeyFile } = config.encryption;
      const masterKey = masterKeyFile ? MasterKey.fromFile(masterKeyFile) : undefined;
      const { store, keys } = await openSealedEventStore(nc, logOptions, { seal: config.encryption.mode === 'on', masterKey });
      const log = new NatsLog(nc, streamsNc, store, keys, embedded, dataDir, running !== undefined);
      log.watchConnection(logger);
      return log;
    } catch (e) {
      await embedded?.stop();
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.streamsNc.drain().catch(() => undefined);
    await this.keys.close();
    await this.nc.drain().catch(() => undefined);
    this.store.close();
    if (this.embedded) {
      await this.embedded.stop();
      rmSync(natsUrlPath(this.dataDir), { force: true });
    }
  }
}

async function runningEmbeddedUrl(dataDir: string): Promise<string | undefined> {
  if (!existsSync(natsUrlPath(dataDir))) return undefined;
  const url = readFileSync(natsUrlPath(dataDir), 'utf8').trim();
  try {
    const probe = await connect({ servers: url, reconnect: false, timeout: 1000 });
    await probe.close();
    return url;
  } catch {
    return undefined;
  }
}

/** The read-model database with every block's tables migrated (in `o.schema`, for a rebuild beside the live ones). */
export function openReadModelDatabase(
  config: MemsidecarConfig,
  blocks: BlockDefinition[],
  o: Partial<Pick<DatabaseOptions, 'schema' | 'settings' | 'pgliteDir' | 'bulkLoad' | 'logger'>> = {},
): Promise<Database> {
  return Database.open({
    ...o,
    url: config.databaseUrl,
    pgliteDir: o.pgliteDir ?? join(resolve(config.dataDir), 'pg'),
    entities: [ProjectionCheckpoint, AppliedRequest, ...blocks.flatMap((b) => b.entities)],
    migrations: [...BOOKKEEPING_MIGRATIONS, ...blocks.flatMap((b) => b.migrations)],
  });
}

/** A runner for every read model of `blocks`, the request ledger's first. */
export const projectionRunners = (blocks: BlockDefinition[], log: NatsLog, db: Database, logger: InfraLogger, options?: RunnerOptions): ProjectionRunner[] =>
  withRequestLedger(blocks.flatMap((b) => b.projections)).map((p) => new ProjectionRunner(p, log.store, db, logger, options));

/** Everything stateful one service instance owns: the log, the read models and the aggregates. */
export class Infrastructure {
  private stopped = false;

  private constructor(
    readonly config: MemsidecarConfig,
    readonly log: NatsLog,
    readonly db: Database,
    readonly readModels: ReadModels,
    readonly runtime: AggregateRuntime,
    readonly erasure: SubjectErasure,
    private readonly logger: InfraLogger,
    private readonly statistics: ReadModelStatistics,
    private readonly retention: RequestLedgerRetention,
  ) {}

  get nc(): NatsConnection {
    return this.log.nc;
  }

  static async start(
    config: MemsidecarConfig,
    blocks: BlockDefinition[],
    logger: InfraLogger,
    onAppended: (block: Block, seq: number) => void = () => {},
  ): Promise<Infrastructure> {
    const log = await NatsLog.open(config, logger);
    try {
      const db = await openReadModelDatabase(config, blocks, { logger });
      logger.log(config.databaseUrl ? 'read models in Postgres' : `read models in embedded PGlite (${join(resolve(config.dataDir), 'pg')})`);
      const readModels = new ReadModels(projectionRunners(blocks, log, db, logger), db, config.limits.readWaitMs, { log: log.store, logger });
      await readModels.start();
      await readModels.catchUp(120_000);
      const runtime = new AggregateRuntime(
        log.store,
        readModels,
        { prefix: config.subjectPrefix, cachedAggregates: 100_000, conflictRetries: 20, rememberedRequests: 100_000 },
        (block, seq) => {
          readModels.noteAppended(block, seq);
          onAppended(block, seq);
        },
      );
      readModels.observeLog((event) => runtime.observe(event));
      const erasure = new SubjectErasure({ store: log.store, keys: log.keys, db, readModels, projections: readModels.runners.map((r) => r.projection), waitMs: config.limits.maxWaitMs });
      erasure.onForget((subject) => runtime.forget(subject.tenant, subject.ns));
      const statistics = new ReadModelStatistics(db, readModels.runners, logger);
      statistics.start();
      const retention = new RequestLedgerRetention(db, systemClock, config.requests.retentionMs, logger);
      retention.start();
      return new Infrastructure(config, log, db, readModels, runtime, erasure, logger, statistics, retention);
    } catch (e) {
      await log.close();
      throw e;
    }
  }

  /** Lets the read models apply what was acknowledged, then closes everything in order. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.readModels.catchUp(this.config.shutdownTimeoutMs);
    } catch (e) {
      this.logger.warn(`read models did not catch up before shutdown: ${(e as Error).message}`);
    }
    await this.statistics.stop();
    await this.retention.stop();
    await this.readModels.stop();
    await this.db.close();
    await this.log.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
