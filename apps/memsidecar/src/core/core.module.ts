import { Global, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { newId, systemClock } from '@memsidecar/core';
import { Authenticator, Dispatcher, assertCatalogued, allObservers, type BlockDefinition, type BlockDependencies, type BlockWorker } from '@memsidecar/api';
import { MemsidecarConfig } from '@memsidecar/config';
import { PolicyEngine } from '@memsidecar/policy';
import { AccessLog } from '../observability/access-log';
import { Metrics } from '../observability/metrics';
import { Tracing } from '../observability/tracing';
import { NatsApi } from '../transports/nats-api';
import { GrpcApi } from '../transports/grpc/grpc-api';
import { VERSION } from '@memsidecar/config';
import { loadTrustedKeys } from './auth-keys';
import { Infrastructure } from '@memsidecar/platform';
import { RevocationList, recordTokenIssued } from '@memsidecar/tokens';

/** What the blocks were given, and the background workers they run on this instance. */
export class BlockHost {
  constructor(
    readonly deps: BlockDependencies,
    readonly workers: BlockWorker[],
  ) {}
}

/** Starts the NATS API and the block workers once the application is up; stops them first on shutdown. */
@Injectable()
export class ServingLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly api: NatsApi,
    private readonly grpc: GrpcApi,
    private readonly host: BlockHost,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.api.start();
    await this.grpc.start();
    for (const worker of this.host.workers) worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.api.stop(), this.grpc.stop()]);
    await Promise.all(this.host.workers.map((w) => w.stop()));
  }
}

@Global()
@Module({})
export class CoreModule {
  static forRoot(config: MemsidecarConfig, blocks: BlockDefinition[]): DynamicModule {
    const logger = new Logger('memsidecar');
    return {
      module: CoreModule,
      providers: [
        { provide: MemsidecarConfig, useValue: config },
        { provide: Metrics, useFactory: () => new Metrics(logger) },
        { provide: Tracing, useFactory: () => Tracing.start(config.tracing, logger) },
        {
          provide: Infrastructure,
          inject: [Metrics],
          useFactory: async (metrics: Metrics) => {
            const infra = await Infrastructure.start(config, blocks, logger, (block) => metrics.eventAppended(block));
            metrics.watchProjections(infra.readModels.runners);
            return infra;
          },
        },
        {
          provide: Authenticator,
          inject: [Infrastructure],
          useFactory: async (infra: Infrastructure) => {
            const revocations = new RevocationList(logger);
            await revocations.follow(infra.log.store);
            const keys = loadTrustedKeys(config);
            if (keys.adminTokenWritten) logger.log(`first start: generated a signing keypair and wrote an admin token to ${keys.adminTokenWritten}`);
            // So `memctl token list` shows the admin token like any token memctl issued.
            if (keys.adminTokenIssued) await recordTokenIssued(infra.log.store, keys.adminTokenIssued, 'memsidecar');
            if (config.auth.mode === 'none') logger.warn('MEMSIDECAR_AUTH=none: every caller is tenant "default" with every op (local development only)');
            return new Authenticator(config.auth.mode, keys.publicKeys, revocations, keys.jwt);
          },
        },
        {
          provide: BlockHost,
          inject: [Infrastructure, Metrics],
          useFactory: (infra: Infrastructure, metrics: Metrics) => {
            const deps: BlockDependencies = {
              runtime: infra.runtime,
              readModels: infra.readModels,
              db: infra.db,
              store: infra.log.store,
              jetStream: infra.log.store,
              limits: config.limits,
              erasure: infra.erasure,
              config,
              instanceId: `${hostname()}:${process.pid}:${newId().slice(0, 8)}`,
              clock: systemClock,
              logger,
              metrics,
            };
            return new BlockHost(deps, blocks.flatMap((b) => b.workers?.(deps) ?? []));
          },
        },
        { provide: PolicyEngine, useFactory: () => new PolicyEngine(config.policy) },
        {
          provide: Dispatcher,
          // Tracing is injected so that its provider is registered before the dispatcher serves anything.
          inject: [Authenticator, Metrics, BlockHost, PolicyEngine, Tracing],
          useFactory: (auth: Authenticator, metrics: Metrics, host: BlockHost, policy: PolicyEngine) => {
            const observer = config.accessLog === 'stdout' ? allObservers(metrics, new AccessLog()) : metrics;
            const dispatcher = new Dispatcher(auth, systemClock, observer, policy);
            for (const block of blocks) {
              const operations = block.operations(host.deps);
              assertCatalogued(operations);
              dispatcher.register(operations);
            }
            const guard = blocks.find((b) => b.sessionGuard)?.sessionGuard?.(host.deps);
            if (guard) dispatcher.useSessionGuard(guard);
            return dispatcher;
          },
        },
        {
          provide: NatsApi,
          inject: [Infrastructure, Dispatcher, Metrics],
          useFactory: (infra: Infrastructure, dispatcher: Dispatcher, metrics: Metrics) =>
            new NatsApi(infra.nc, infra.log.streamsNc, dispatcher, { prefix: config.subjectPrefix, queueGroup: config.queueGroup, version: VERSION }, logger, (op, code) =>
              metrics.unanswered.inc({ op, code }),
            ),
        },
        { provide: GrpcApi, inject: [Dispatcher], useFactory: (dispatcher: Dispatcher) => new GrpcApi(dispatcher, config.grpc) },
        ServingLifecycle,
      ],
      exports: [MemsidecarConfig, Metrics, Infrastructure, Authenticator, PolicyEngine, Dispatcher, NatsApi, GrpcApi, BlockHost],
    };
  }
}
