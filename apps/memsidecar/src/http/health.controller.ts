import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Infrastructure } from '@memsidecar/platform';

const READY_LAG_EVENTS = 10_000;

@Controller()
export class HealthController {
  constructor(private readonly infra: Infrastructure) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  /** Ready when NATS and the database answer and no read model lags far behind the log. */
  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const checks: Record<string, unknown> = {};
    let ready = true;
    try {
      await this.infra.nc.flush();
      checks.nats = 'ok';
    } catch (e) {
      checks.nats = (e as Error).message;
      ready = false;
    }
    try {
      await this.infra.db.ping();
      checks.database = 'ok';
    } catch (e) {
      checks.database = (e as Error).message;
      ready = false;
    }
    const projections: Record<string, { applied: number; lag: number }> = {};
    for (const r of this.infra.readModels.runners) {
      projections[r.name] = { applied: r.applied, lag: r.lag };
      if (r.lag > READY_LAG_EVENTS) ready = false;
    }
    checks.projections = projections;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  }
}
