import { MemError, type StoredEvent } from '@memsidecar/core';
import type { Database } from './database';
import { ProjectionErrors } from './projection-errors';

/** A parked event is looked at this often for an operator's retry or skip, or another instance's progress. */
const PARKED_POLL_MS = 1_000;

interface Parked {
  event: StoredEvent;
  error: string;
  attempts: number;
  recorded: boolean;
}

export interface ParkingDeps {
  name: string;
  db: Database;
  logger: { log(message: string): void; error(message: string): void };
  checkpoint(): Promise<number>;
  /** Applies the parked event again, as an operator asked: the error if it still fails. */
  retry(event: StoredEvent): Promise<Error | null>;
  /** Reads needing the parked event can no longer be served. */
  blocked(): void;
  /** Parking ended with the read model at `seq`. */
  resumed(seq: number): void;
}

/**
 * A read model stopped at an event that keeps failing: recorded in `mem_projection_errors`, reads
 * that need it answer UNAVAILABLE, readiness fails, and `memctl projections retry|skip` (or another
 * instance getting past it) resolves it.
 */
export class Parking {
  private parked: Parked | null = null;
  private poll: NodeJS.Timeout | null = null;
  /** A look at the parked event is under way (the poll runs every second; one at a time). */
  private polling = false;
  private readonly errors: ProjectionErrors;

  constructor(private readonly deps: ParkingDeps) {
    this.errors = new ProjectionErrors(deps.db);
  }

  get active(): boolean {
    return this.parked !== null;
  }

  /** The reason for the `parked` state, or null. */
  get reason(): string | null {
    const p = this.parked;
    return p ? `seq ${p.event.seq} (${p.event.type}): ${p.error}` : null;
  }

  /** UNAVAILABLE for a read up to `seq` when the parked event comes first. */
  blockedFor(seq: number): MemError | null {
    const p = this.parked;
    if (!p || seq < p.event.seq) return null;
    return new MemError('UNAVAILABLE', `read model ${this.deps.name} is stopped at sequence ${p.event.seq}, an event it cannot apply (see memctl projections errors)`, 'READ_MODEL_PARKED', {
      readModel: this.deps.name,
      seq: p.event.seq,
    });
  }

  park(event: StoredEvent, error: Error, attempts: number): void {
    const { name } = this.deps;
    this.parked = { event, error: error.message, attempts, recorded: false };
    this.deps.logger.error(
      `read model ${name} stopped at seq ${event.seq} (${event.type}, event ${event.id}) after ${attempts} attempts: ${error.message}; ` +
        `it waits for \`memctl projections retry ${name}\` or \`memctl projections skip ${name}\``,
    );
    this.deps.blocked();
    this.poll = setInterval(() => void this.pollParked().catch(() => undefined), PARKED_POLL_MS);
    this.poll.unref();
    void this.pollParked().catch(() => undefined);
  }

  stop(): void {
    if (this.poll) clearInterval(this.poll);
  }

  /** Records the parked event, then acts on an operator's retry or skip, or on another instance having got past it. */
  private async pollParked(): Promise<void> {
    const p = this.parked;
    if (!p || this.polling) return;
    const { name, db } = this.deps;
    this.polling = true;
    try {
      if (!p.recorded) {
        await this.errors.record(name, p.event, p.error, p.attempts);
        p.recorded = true;
      }
      const checkpoint = await this.deps.checkpoint();
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
      const error = await this.deps.retry(p.event);
      if (error) {
        p.error = error.message;
        await this.errors.record(name, p.event, error.message, 1);
        this.deps.logger.error(`read model ${name}: retrying seq ${p.event.seq} failed again: ${error.message}`);
        return;
      }
      await this.errors.resolve(name, p.event.seq, 'resolved');
      return this.unpark(p.event.seq, 'applied on retry');
    } finally {
      this.polling = false;
    }
  }

  private unpark(seq: number, how: string): void {
    const p = this.parked!;
    this.parked = null;
    this.stop();
    this.poll = null;
    this.deps.logger.log(`read model ${this.deps.name} resumes after seq ${p.event.seq}: ${how}`);
    this.deps.resumed(seq);
  }
}
