import { isMemError, systemClock, type MemError, type StoredEvent } from '@memsidecar/core';
import type { BatchApplier } from './batch-applier';
import type { Database } from './database';
import { Parking } from './parking';

/** A batch that fails for another reason than an unreachable database is tried this often, then its culprit is parked. */
const POISON_ATTEMPTS = 5;
const RETRY_DELAY_MS = 200;
/** While the database is unreachable, a batch is tried again this often (not counted as attempts). */
const OUTAGE_RETRY_MS = 250;

export interface RecoveryDeps {
  name: string;
  db: Database;
  applier: BatchApplier;
  logger: { log(message: string): void; error(message: string): void };
  stopped(): boolean;
  /** `events`, the head of the buffer, are committed. */
  committed(events: StoredEvent[]): void;
  /** Reads may have become impossible to serve (an outage began, or an event was parked). */
  blocked(): void;
  /** Parking ended with the read model at `seq`. */
  resumed(seq: number): void;
}

/**
 * The poison policy of a read model's batches: while the database is unreachable a batch is tried
 * again and again (nothing is lost by waiting; reads answer UNAVAILABLE meanwhile); any other failure
 * is tried `POISON_ATTEMPTS` times, then the batch is applied event by event and the event that fails
 * is parked (see `Parking`).
 */
export class BatchRecovery {
  private readonly parking: Parking;
  /** The database refused the last batch as unreachable (cleared by the next commit). */
  private outage: MemError | null = null;

  constructor(private readonly deps: RecoveryDeps) {
    this.parking = new Parking({
      name: deps.name,
      db: deps.db,
      logger: deps.logger,
      checkpoint: () => deps.applier.checkpoint(),
      retry: (event) => this.tryApply([event]),
      blocked: deps.blocked,
      resumed: deps.resumed,
    });
  }

  get parked(): boolean {
    return this.parking.active;
  }

  /** `parked` or `database_unavailable` with its reason, or null while batches commit. */
  get impairedState(): { state: 'parked' | 'database_unavailable'; reason: string } | null {
    const parked = this.parking.reason;
    if (parked !== null) return { state: 'parked', reason: parked };
    if (this.outage) return { state: 'database_unavailable', reason: this.outage.message };
    return null;
  }

  /** Why a read up to `seq` cannot be served now: the database is unreachable, or a parked event comes first. */
  blockedFor(seq: number): MemError | null {
    // Once the database answers again the next try commits within moments: worth waiting for.
    if (this.outage && !this.deps.db.available) return this.outage;
    return this.parking.blockedFor(seq);
  }

  /** Applies `batch`, or as much of its head as it can before parking; commits are reported to `committed`. */
  async apply(batch: StoredEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const error = await this.tryApply(batch);
      if (!error) return this.deps.committed(batch);
      if (this.deps.stopped()) throw error;
      if (attempt >= POISON_ATTEMPTS) return this.isolate(batch, attempt);
      this.deps.logger.error(`read model ${this.deps.name} could not apply seq ${batch[0].seq}..${batch[batch.length - 1].seq} (attempt ${attempt} of ${POISON_ATTEMPTS}): ${error.message}`);
      await systemClock.sleep(RETRY_DELAY_MS * attempt);
    }
  }

  stop(): void {
    this.parking.stop();
  }

  /** Applies `events` in one transaction, waiting out database outages; the error of any other failure. */
  private async tryApply(events: StoredEvent[]): Promise<Error | null> {
    for (;;) {
      try {
        await this.deps.applier.apply(events);
        this.outage = null;
        return null;
      } catch (e) {
        if (!isMemError(e) || e.code !== 'UNAVAILABLE') return e as Error;
        if (this.deps.stopped()) return e;
        if (!this.outage) {
          this.outage = e;
          this.deps.blocked();
        }
        await systemClock.sleep(OUTAGE_RETRY_MS);
      }
    }
  }

  /** One event at a time: those that apply are kept, the first that does not is parked. */
  private async isolate(batch: StoredEvent[], attempts: number): Promise<void> {
    for (const event of batch) {
      const error = await this.tryApply([event]);
      if (!error) {
        this.deps.committed([event]);
        continue;
      }
      if (this.deps.stopped()) throw error;
      return this.parking.park(event, error, attempts);
    }
  }
}
