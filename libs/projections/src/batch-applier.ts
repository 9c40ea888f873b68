import type { StoredEvent } from '@memsidecar/core';
import type { Database, SqlExecutor } from './database';
import type { Projection } from './projection';

export interface ApplierLogger {
  log(message: string): void;
  /** Falls back to `log` where the logger has no warn level. */
  warn?(message: string): void;
}

/**
 * Applies batches of one read model: rows and checkpoint in one transaction, claimed by moving the
 * checkpoint only if it is below the batch, so instances sharing a database never apply twice.
 */
export class BatchApplier {
  /** Event types on this read model's subjects that it does not know, each logged once. */
  private readonly unknownTypes = new Set<string>();

  constructor(
    private readonly projection: Projection,
    private readonly db: Database,
    private readonly logger: ApplierLogger,
  ) {}

  private get name(): string {
    return this.projection.name;
  }

  /** Creates the checkpoint row if it is missing; the checkpoint. */
  async open(): Promise<number> {
    await this.db.query(`INSERT INTO mem_checkpoints (name, seq) VALUES ($1, 0) ON CONFLICT (name) DO NOTHING`, [this.name]);
    return this.checkpoint();
  }

  async checkpoint(): Promise<number> {
    const rows = await this.db.query<{ seq: string }>(`SELECT seq FROM mem_checkpoints WHERE name = $1`, [this.name]);
    return Number(rows[0]?.seq ?? 0);
  }

  /**
   * One transaction: claim the batch by moving the checkpoint (only if it is below the batch), or,
   * when another instance got further, lock the checkpoint and apply just what is still new.
   */
  async apply(batch: StoredEvent[]): Promise<void> {
    const first = batch[0].seq;
    const last = batch[batch.length - 1].seq;
    await this.db.transaction(async (sql) => {
      const claimed = await sql.prepared(`UPDATE mem_checkpoints SET seq = $2, updated_at = now() WHERE name = $1 AND seq < $3 RETURNING seq`, [this.name, last, first]);
      if (claimed.length === 1) return this.applyEvents(sql, batch);
      const [{ seq }] = await sql.prepared<{ seq: string }>(`SELECT seq FROM mem_checkpoints WHERE name = $1 FOR UPDATE`, [this.name]);
      const fresh = batch.filter((e) => e.seq > Number(seq));
      if (fresh.length === 0) return;
      await this.applyEvents(sql, fresh);
      await sql.prepared(`UPDATE mem_checkpoints SET seq = $2, updated_at = now() WHERE name = $1`, [this.name, last]);
    });
  }

  /**
   * Applies the events the projection knows. The checkpoint still moves past the others: stopping
   * at a type this build cannot fold would stall the block's reads, and a build that knows it folds
   * those events on a rebuild.
   */
  private async applyEvents(sql: SqlExecutor, events: StoredEvent[]): Promise<void> {
    const known = events.filter((e) => this.knows(e));
    if (known.length > 0) await this.projection.apply(sql, known);
  }

  private knows(e: StoredEvent): boolean {
    if (e.erased && !this.projection.envelopesOnly) return false;
    if (this.projection.canHandle(e)) return true;
    this.warnUnknownType(e);
    return false;
  }

  /** Once per type: a log written by a newer version repeats it in every batch. */
  private warnUnknownType(e: StoredEvent): void {
    if (this.unknownTypes.has(e.type)) return;
    this.unknownTypes.add(e.type);
    const message = `read model ${this.name} skips events of type ${e.type}, which it does not know (first at seq ${e.seq}); its checkpoint moves past them`;
    if (this.logger.warn) this.logger.warn(message);
    else this.logger.log(message);
  }
}
