import { Global, Logger, Module, type DynamicModule, type OnApplicationBootstrap, type BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { systemClock } from '@memsidecar/core';
import { Authenticator, Dispatcher, type BlockDefinition } from '@memsidecar/api';
import { MemsidecarConfig } from '@memsidecar/config';
import { Metrics } from '../observability/metrics';
import { NatsApi } from '../transports/nats-api';
import { VERSION } from '../version';
import { loadTrustedKeys } from './auth-keys';
import { Infrastructure } from '@memsidecar/platform';

/** Starts the NATS API once the application is up and stops it first on shutdown. */
@Injectable()
export class NatsApiLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(private readonly api: NatsApi) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.api.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.api.stop();
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
          useFactory: () => {
            const keys = loadTrustedKeys(config);
            if (keys.adminTokenWritten) logger.log(`first start: generated a signing keypair and wrote an admin token to ${keys.adminTokenWritten}`);
            if (config.auth.mode === 'none') logger.warn('MEMSIDECAR_AUTH=none: every caller is tenant "default" with every op (local development only)');
            return new Authenticator(config.auth.mode, keys.publicKeys);
          },
        },
        {
          provide: Dispatcher,
          inject: [Authenticator, Metrics, Infrastructure],
          useFactory: (auth: Authenticator, metrics: Metrics, infra: Infrastructure) => {
            const dispatcher = new Dispatcher(auth, systemClock, metrics);
            const deps = { runtime: infra.runtime, readModels: infra.readModels, db: infra.db, limits: config.limits };
            for (const block of blocks) dispatcher.register(block.operations(deps));
            return dispatcher;
          },
        },
        {
          provide: NatsApi,
          inject: [Infrastructure, Dispatcher, Metrics],
          useFactory: (infra: Infrastructure, dispatcher: Dispatcher, metrics: Metrics) =>
            new NatsApi(infra.nc, dispatcher, { prefix: config.subjectPrefix, queueGroup: config.queueGroup, version: VERSION }, logger, (op, code) =>
              metrics.unanswered.inc({ op, code }),
            ),
        },
        NatsApiLifecycle,
      ],
      exports: [MemsidecarConfig, Metrics, Infrastructure, Authenticator, Dispatcher, NatsApi],
    };
  }
}
