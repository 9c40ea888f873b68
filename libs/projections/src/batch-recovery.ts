import { MemError, isMemError, type StoredEvent } from '@memsidecar/core';
import type { BatchApplier } from './batch-applier';
import type { Database } from './database';
import { ProjectionErrors } from './projection-errors';
import { sleep } from './read-model-progress';

/** A batch that fails for another reason than an unreachable database is tried this often, then its culprit is parked. */
const POISON_ATTEMPTS = 5;
const RETRY_DELAY_MS = 200;
/** While the database is unreachable, a batch is tried again this often (not counted as attempts). */
const OUTAGE_RETRY_MS = 250;
/** A parked event is looked at this often for an operator's retry or skip, or another instance's progress. */
const PARKED_POLL_MS = 1_000;

interface Parked {
  event: StoredEvent;
  error: string;
  attempts: number;
  recorded: boolean;
}

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
 * is parked: recorded in `mem_projection_errors` until `memctl projections retry|skip`.
 */
export class BatchRecovery {
  private readonly errors: ProjectionErrors;
  private parkedEvent: Parked | null = null;
  private parkedPoll: NodeJS.Timeout | null = null;
  /** A look at the parked event is under way (the poll runs every second; one at a time). */
  private polling = false;
  /** The database refused the last batch as unreachable (cleared by the next commit). */
  private outage: MemError | null = null;

  constructor(private readonly deps: RecoveryDeps) {
    this.errors = new ProjectionErrors(deps.db);
  }

  get parked(): boolean {
    return this.parkedEvent !== null;
  }

  /** `parked` or `database_unavailable` with its reason, or null while batches commit. */
  get impairedState(): { state: 'parked' | 'database_unavailable'; reason: string } | null {
    const p = this.parkedEvent;
    if (p) return { state: 'parked', reason: `seq ${p.event.seq} (${p.event.type}): ${p.error}` };
    if (this.outage) return { state: 'database_unavailable', reason: this.outage.message };
    return null;
  }

  /** Why a read up to `seq` cannot be served now: the database is unreachable, or a parked event comes first. */
  blockedFor(seq: number): MemError | null {
    // Once the database answers again the next try commits within moments: worth waiting for.
    if (this.outage && !this.deps.db.available) return this.outage;
    const p = this.parkedEvent;
    if (p && seq >= p.event.seq) {
      return new MemError('UNAVAILABLE', `read model ${this.deps.name} is stopped at sequence ${p.event.seq}, an event it cannot apply (see memctl projections errors)`, 'READ_MODEL_PARKED', {
        readModel: this.deps.name,
        seq: p.event.seq,
      });
    }
    return null;
  }

  /** Applies `batch`, or as much of its head as it can before parking; commits are reported to `committed`. */
  async apply(batch: StoredEvent[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const error = await this.tryApply(batch);
      if (!error) return this.deps.committed(batch);
      if (this.deps.stopped()) throw error;
      if (attempt >= POISON_ATTEMPTS) return this.isolate(batch, attempt);
      this.deps.logger.error(`read model ${this.deps.name} could not apply seq ${batch[0].seq}..${batch[batch.length - 1].seq} (attempt ${attempt} of ${POISON_ATTEMPTS}): ${error.message}`);
      await sleep(RETRY_DELAY_MS * attempt);
    }
  }

  stop(): void {
    if (this.parkedPoll) clearInterval(this.parkedPoll);
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
        await sleep(OUTAGE_RETRY_MS);
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
      return this.park(event, error, attempts);
    }
  }

  /** Stops applying at an event that keeps failing; reads that need it answer UNAVAILABLE, readiness fails. */
  private park(event: StoredEvent, error: Error, attempts: number): void {
    const { name } = this.deps;
    this.parkedEvent = { event, error: error.message, attempts, recorded: false };
    this.deps.logger.error(
      `read model ${name} stopped at seq ${event.seq} (${event.type}, event ${event.id}) after ${attempts} attempts: ${error.message}; ` +
        `it waits for \`memctl projections retry ${name}\` or \`memctl projections skip ${name}\``,
    );
    this.deps.blocked();
    this.parkedPoll = setInterval(() => void this.pollParked().catch(() => undefined), PARKED_POLL_MS);
    this.parkedPoll.unref();
    void this.pollParked().catch(() => undefined);
  }

  /** Records the parked event, then acts on an operator's retry or skip, or on another instance having got past it. */
  private async pollParked(): Promise<void> {
    const p = this.parkedEvent;
    if (!p || this.polling) return;
    const { name, db, logger } = this.deps;
    this.polling = true;
    try {
      if (!p.recorded) {
        await this.errors.record(name, p.event, p.error, p.attempts);
        p.recorded = true;
      }
      const checkpoint = await this.deps.applier.checkpoint();
      if (checkpoint >= p.event.seq) return this.unpark(checkpoint, `another instance got past it`);
      const status = await this.errors.status(name, p.event.seq);
      if (status === 'skip') {
        await db.transaction(async (sql) => {
          await sql.prepared(`UPDATE mem_checkpoints SET seq = $2, updated_at = now() WHERE name = $1 AND seq < $2`, [name, p.event.seq]);
          await sql.prepared(`UPDATE mem_projection_errors SET status = 'skipped', resolved_at = now() WHERE name = $1 AND seq = $2`, [name, p.event.seq]);
        });
        return this.unpark(p.event.seq, 'skipped as an operator asked; recorded in mem_projection_errors');
      }
      if (status !== 'retry') return;
      const error = await this.tryApply([p.event]);
      if (error) {
        p.error = error.message;
        await this.errors.record(name, p.event, error.message, 1);
        logger.error(`read model ${name}: retrying seq ${p.event.seq} failed again: ${error.message}`);
        return;
      }
      await this.errors.resolve(name, p.event.seq, 'resolved');
      return this.unpark(p.event.seq, 'applied on retry');
    } finally {
      this.polling = false;
    }
  }

  private unpark(seq: number, how: string): void {
    const p = this.parkedEvent!;
    this.parkedEvent = null;
    this.stop();
    this.parkedPoll = null;
    this.deps.logger.log(`read model ${this.deps.name} resumes after seq ${p.event.seq}: ${how}`);
    this.deps.resumed(seq);
  }
}
