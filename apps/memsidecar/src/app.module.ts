import { Module, type DynamicModule } from '@nestjs/common';
import type { MemsidecarConfig } from '@memsidecar/config';
import { CoreModule } from './core/core.module';
import { HealthController } from './http/health.controller';
import { MetricsController } from './http/metrics.controller';
import { McpController } from './http/mcp.controller';
import { GatewayController } from './http/gateway.controller';
import { BLOCKS } from '@memsidecar/platform';

@Module({})
export class AppModule {
  static forRoot(config: MemsidecarConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, BLOCKS)],
      controllers: [HealthController, MetricsController, McpController, GatewayController],
    };
  }
}
