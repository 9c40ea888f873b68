import { inChildSpan, type Block } from '@memsidecar/core';
import type { RequestLedger } from '@memsidecar/event-store';
import type { Database } from './database';
import type { ProjectionRunner } from './projection-runner';

/**
 * The read side's consistency: a read waits until the read models it uses hold every write this
 * instance acknowledged (read-your-writes) and, with `minSeq`, every event of the log up to it.
 */
export class ReadModels implements RequestLedger {
  private readonly byBlock = new Map<Block, ProjectionRunner[]>();
  private readonly acknowledged = new Map<Block, number>();
  private lastAcknowledged = 0;

  constructor(
    readonly runners: ProjectionRunner[],
    private readonly db: Database,
    private readonly defaultWaitMs: number,
  ) {
    for (const r of runners) this.byBlock.set(r.projection.block, [...(this.byBlock.get(r.projection.block) ?? []), r]);
  }

  noteAppended(block: Block, seq: number): void {
    if (seq > (this.acknowledged.get(block) ?? 0)) this.acknowledged.set(block, seq);
    this.lastAcknowledged = Math.max(this.lastAcknowledged, seq);
  }

  /** Resolves when reads of `block` may be served; DEADLINE_EXCEEDED when `waitMs` runs out. */
  async ready(block: Block, minSeq?: number, waitMs = this.defaultWaitMs): Promise<void> {
    for (const runner of this.byBlock.get(block) ?? []) {
      const own = runner.projection.everyBlock ? this.lastAcknowledged : (this.acknowledged.get(block) ?? 0);
      // Spans only for real waits: a read model already up to date costs the trace nothing.
      if (own > runner.applied) await inChildSpan('read_model.wait', waitAttributes(runner, own), () => runner.waitFor(own, waitMs));
      if (minSeq && minSeq > runner.applied) await inChildSpan('read_model.wait', waitAttributes(runner, minSeq), () => runner.catchUp(waitMs, minSeq));
    }
  }

  async find(block: Block, tenant: string, requestId: string, atLeastSeq: number): Promise<number | null> {
    if (atLeastSeq > 0) await this.ready(block, atLeastSeq);
    const rows = await this.db.query<{ seq: string }>(`SELECT seq FROM mem_requests WHERE tenant = $1 AND request_id = $2`, [
      tenant,
      requestId,
    ]);
    return rows.length ? Number(rows[0].seq) : null;
  }

  async start(): Promise<void> {
    for (const r of this.runners) await r.start();
  }

  /** Waits until every read model holds everything in the log now. */
  async catchUp(timeoutMs: number): Promise<void> {
    await Promise.all(this.runners.map((r) => r.catchUp(timeoutMs)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
  }
}

const waitAttributes = (runner: ProjectionRunner, seq: number) => ({ 'memsidecar.read_model': runner.name, 'memsidecar.wait_for_seq': seq, 'memsidecar.applied_seq': runner.applied });
