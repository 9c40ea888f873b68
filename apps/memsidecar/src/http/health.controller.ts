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
    const checks: Record<string, unknown> = {
      nats: await outcome(() => this.infra.nc.flush()),
      database: await outcome(() => this.infra.db.ping()),
    };
    const projections: Record<string, { applied: number; lag: number }> = {};
    for (const r of this.infra.readModels.runners) projections[r.name] = { applied: r.applied, lag: r.lag };
    checks.projections = projections;
    const ready = checks.nats === 'ok' && checks.database === 'ok' && Object.values(projections).every((p) => p.lag <= READY_LAG_EVENTS);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks });
  }
}

const outcome = async (check: () => Promise<unknown>): Promise<string> => {
  try {
    await check();
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
};
