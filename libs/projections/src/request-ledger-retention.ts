import type { Clock } from '@memsidecar/core';
import type { Database } from './database';

export interface RetentionLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** Rows deleted per statement, so a first sweep over a long history never holds one huge transaction. */
const DELETE_BATCH = 10_000;
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * The request ledger's retention: a request id is honoured for `retentionMs` after its event was
 * appended, then its row is deleted. A retry arriving later would be applied as a new request, so
 * the client's outbox never sends a mutation older than the retention again (it sets it aside).
 * Each instance sweeps on its own clock; deleting what another instance deleted changes nothing.
 */
export class RequestLedgerRetention {
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    readonly retentionMs: number,
    private readonly logger: RetentionLogger,
    private readonly everyMs = SWEEP_EVERY_MS,
  ) {}

  /** Sweeps now, then every `everyMs` on the clock, until `stop`. */
  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  /** Deletes every ledger row older than the retention; the number deleted. */
  async sweep(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.retentionMs).toISOString();
    let deleted = 0;
    for (;;) {
      const rows = await this.db.query(
        `DELETE FROM mem_requests WHERE ctid IN (SELECT ctid FROM mem_requests WHERE at < $1 LIMIT ${DELETE_BATCH}) RETURNING 1`,
        [before],
      );
      deleted += rows.length;
      if (rows.length < DELETE_BATCH || this.stopping.signal.aborted) return deleted;
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      // During an outage there is nothing to delete, and nothing worth a warning per sweep.
      if (this.db.available) {
        try {
          const deleted = await this.sweep();
          if (deleted > 0) this.logger.log(`request ledger: ${deleted} request id(s) older than ${this.retentionMs} ms deleted`);
        } catch (e) {
          this.logger.warn(`request ledger: retention sweep failed: ${(e as Error).message}`);
        }
      }
      await this.clock.sleep(this.everyMs, this.stopping.signal);
    }
  }
}
