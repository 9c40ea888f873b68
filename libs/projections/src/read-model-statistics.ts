import type { Database } from './database';
import type { ProjectionRunner } from './projection-runner';

export interface StatisticsLogger {
  warn(message: string): void;
}

/** The growth, in events applied, after which a read model is analyzed again. */
const REANALYZE_GROWTH = 0.1;
const CHECK_EVERY_MS = 1_000;

/**
 * Keeps the planner's statistics of the read models current, as autovacuum's analyze would: the
 * embedded PGlite has no autovacuum at all, and on a server it lags up to a minute behind a load.
 * Without statistics Postgres plans a freshly filled table as an empty one (a full-text search
 * took twice as long). A read model's tables are analyzed once it has applied an event (one event
 * may carry a hundred rows), then whenever it has applied 10 % more events than at its last analyze,
 * at most once a second.
 */
export class ReadModelStatistics {
  private readonly analyzedAt = new Map<ProjectionRunner, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly runners: readonly ProjectionRunner[],
    private readonly logger: StatisticsLogger,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.analyzeDue().finally(() => (this.running = null));
    }, CHECK_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Analyzes the tables of every read model that grew enough since its last analyze. */
  async analyzeDue(): Promise<void> {
    // During an outage there is nothing to analyze, and nothing worth a warning a second.
    if (!this.db.available) return;
    for (const runner of this.runners) {
      const applied = runner.stats.events;
      const last = this.analyzedAt.get(runner) ?? 0;
      if (applied === last || applied - last < REANALYZE_GROWTH * last) continue;
      try {
        // Table names are the projections' own constants, never input.
        for (const table of runner.projection.tables) await this.db.query(`ANALYZE ${table}`);
        this.analyzedAt.set(runner, applied);
      } catch (e) {
        this.logger.warn(`could not analyze the tables of ${runner.name}: ${(e as Error).message}`);
      }
    }
  }
}
