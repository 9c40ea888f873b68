import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { BlockDefinition } from '@memsidecar/api';
import { AggregateRuntime, EventStore, NatsServerProcess } from '@memsidecar/event-store';
import {
  AppliedRequest,
  Database,
  ProjectionBookkeeping1763769600000,
  ProjectionCheckpoint,
  ProjectionRunner,
  ReadModels,
} from '@memsidecar/projections';
import type { MemsidecarConfig } from '../config/config';
import type { Metrics } from '../observability/metrics';

export interface InfraLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const natsUrlPath = (dataDir: string): string => join(dataDir, 'nats.url');

/** Everything stateful one instance owns: the NATS link, the log, the read models, the aggregates. */
export class Infrastructure {
  private stopped = false;

  private constructor(
    readonly config: MemsidecarConfig,
    readonly nc: NatsConnection,
    readonly store: EventStore,
    readonly db: Database,
    readonly readModels: ReadModels,
    readonly runtime: AggregateRuntime,
    private readonly natsServer: NatsServerProcess | null,
    private readonly logger: InfraLogger,
  ) {}

  static async start(config: MemsidecarConfig, blocks: BlockDefinition[], metrics: Metrics, logger: InfraLogger): Promise<Infrastructure> {
    const dataDir = resolve(config.dataDir);
    mkdirSync(dataDir, { recursive: true });
    let natsServer: NatsServerProcess | null = null;
    let servers = config.natsUrl;
    if (!servers) {
      natsServer = await NatsServerProcess.start({ storeDir: join(dataDir, 'nats'), pidFile: join(dataDir, 'nats.pid') });
      servers = natsServer.url;
      writeFileSync(natsUrlPath(dataDir), `${servers}\n`);
      logger.log(`embedded nats-server with JetStream at ${servers} (store ${join(dataDir, 'nats')})`);
    }
    try {
      const nc = await connect({ servers: servers.split(','), name: 'memsidecar', maxReconnectAttempts: -1 });
      const store = await EventStore.open(nc, {
        prefix: config.subjectPrefix,
        stream: config.stream,
        replicas: config.streamReplicas,
        duplicateWindowMs: config.duplicateWindowMs,
      });
      const db = await Database.open({
        url: config.databaseUrl,
        pgliteDir: join(dataDir, 'pg'),
        entities: [ProjectionCheckpoint, AppliedRequest, ...blocks.flatMap((b) => b.entities)],
        migrations: [ProjectionBookkeeping1763769600000, ...blocks.flatMap((b) => b.migrations)],
      });
      logger.log(config.databaseUrl ? 'read models in Postgres' : `read models in embedded PGlite (${join(dataDir, 'pg')})`);
      const runners = blocks.flatMap((b) => b.projections).map((p) => new ProjectionRunner(p, store, db, logger));
      const readModels = new ReadModels(runners, db, config.limits.readWaitMs);
      await readModels.start();
      await readModels.catchUp(120_000);
      metrics.watchProjections(runners);
      const runtime = new AggregateRuntime(
        store,
        readModels,
        { prefix: config.subjectPrefix, cachedAggregates: 100_000, conflictRetries: 20, rememberedRequests: 100_000 },
        (block, seq) => {
          readModels.noteAppended(block, seq);
          metrics.eventAppended(block);
        },
      );
      return new Infrastructure(config, nc, store, db, readModels, runtime, natsServer, logger);
    } catch (e) {
      await natsServer?.stop();
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
    await this.readModels.stop();
    await this.nc.drain().catch(() => undefined);
    await this.db.close();
    if (this.natsServer) {
      await this.natsServer.stop();
      rmSync(natsUrlPath(resolve(this.config.dataDir)), { force: true });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
