import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Infrastructure } from '@memsidecar/platform';

/** A read model further behind than this is replaying, not serving. */
const READY_LAG_EVENTS = 10_000;
/** A check that takes longer than this counts as failed: readiness must answer quickly. */
const CHECK_TIMEOUT_MS = 1_000;

@Controller()
export class HealthController {
  constructor(private readonly infra: Infrastructure) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  /**
   * Ready when the NATS connection is up, the database answers, and every read model is current or
   * catching up (not stalled, not parked at an event it cannot apply, not far behind).
   */
  @Get('readyz')
  async readyz(@Res() res: Response): Promise<void> {
    const { log, db, readModels } = this.infra;
    const [nats, database] = await Promise.all([
      log.connected ? outcome(() => this.infra.nc.flush()) : Promise.resolve('disconnected'),
      db.available ? outcome(() => db.ping()) : Promise.resolve('unreachable'),
    ]);
    const projections: Record<string, { state: string; applied: number; logEnd: number; lag: number; reason?: string }> = {};
    let serving = true;
    for (const r of readModels.runners) {
      const { state, reason } = r.state;
      projections[r.name] = { state, applied: r.applied, logEnd: r.logEnd, lag: r.lag, ...(reason ? { reason } : {}) };
      if (!(state === 'current' || (state === 'catching_up' && r.lag <= READY_LAG_EVENTS))) serving = false;
    }
    const ready = nats === 'ok' && database === 'ok' && serving;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: { nats, database, projections } });
  }
}

const outcome = async (check: () => Promise<unknown>): Promise<string> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS)))]);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  } finally {
    clearTimeout(timer);
  }
};
