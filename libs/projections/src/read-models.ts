import { MemError, inChildSpan, isMemError, type Block, type StoredEvent } from '@memsidecar/core';
import type { EventLog, RequestLedger, SubscriptionLogger } from '@memsidecar/event-store';
import type { Database } from './database';
import type { ProjectionRunner } from './projection-runner';
import { REQUEST_LEDGER } from './request-ledger';
import { RequestMemory } from './request-memory';
import { SharedLogFeed } from './shared-log-feed';
import { ApplierLock } from './applier-lock';
import { RequestIdFilter } from './request-id-filter';

/**
 * One subscription to the whole log feeds every read model (see `SharedLogFeed`'s live mode), and
 * of the instances sharing a database one applies in the background (see `ApplierLock`).
 */
export interface LiveFeedOptions {
  log: EventLog;
  logger: SubscriptionLogger;
}

/** How often an instance on standby reads the applier's checkpoints. */
const FOLLOW_APPLIER_MS = 100;

/**
 * The read side's consistency: a read waits until the read models it uses hold every write this
 * instance acknowledged (read-your-writes) and, with `minSeq`, every event of the log up to it.
 */
export class ReadModels implements RequestLedger {
  private readonly byBlock = new Map<Block, ProjectionRunner[]>();
  private readonly acknowledged = new Map<Block, number>();
  private lastAcknowledged = 0;
  private readonly ledger: ProjectionRunner;
  private readonly requests = new RequestMemory();
  private readonly feed: SharedLogFeed | null;
  private readonly applierLock: ApplierLock | null;
  private readonly requestIds: RequestIdFilter | null;
  private follower: NodeJS.Timeout | null = null;
  private following = false;

  /**
   * `runners`: every read model, the request ledger's (see `withRequestLedger`) among them. With
   * `liveFeed`, one subscription feeds them all; without, each follows the log on its own.
   */
  constructor(
    readonly runners: ProjectionRunner[],
    private readonly db: Database,
    private readonly defaultWaitMs: number,
    liveFeed?: LiveFeedOptions,
  ) {
    this.feed = liveFeed ? new SharedLogFeed(liveFeed.log, runners, liveFeed.logger, { live: true }) : null;
    this.applierLock = liveFeed ? new ApplierLock(db, liveFeed.logger, (held) => this.setStandby(!held)) : null;
    this.requestIds = liveFeed ? new RequestIdFilter(db) : null;
    const ledger = runners.find((r) => r.name === REQUEST_LEDGER);
    if (!ledger) throw new Error(`the read models lack the request ledger (${REQUEST_LEDGER})`);
    this.ledger = ledger;
    ledger.onReceived = (event) => {
      this.requests.note(event);
      if (event.requestId) this.requestIds?.note(event.tenant, event.requestId);
    };
    for (const r of runners) {
      const { block } = r.projection;
      if (block) this.byBlock.set(block, [...(this.byBlock.get(block) ?? []), r]);
    }
  }

  /** Tells `listener` of every event the live feed delivers (nothing without a live feed). */
  observeLog(listener: (event: StoredEvent) => void): void {
    if (this.feed) this.feed.onEvent = listener;
  }

  noteAppended(block: Block, seq: number): void {
    if (seq > (this.acknowledged.get(block) ?? 0)) this.acknowledged.set(block, seq);
    this.lastAcknowledged = Math.max(this.lastAcknowledged, seq);
  }

  /** Resolves when reads of `block` may be served; DEADLINE_EXCEEDED when `waitMs` runs out. */
  async ready(block: Block, minSeq?: number, waitMs = this.defaultWaitMs): Promise<void> {
    if (!this.db.available) throw new MemError('UNAVAILABLE', 'the read-model database is unreachable; nothing was read');
    for (const runner of this.byBlock.get(block) ?? []) {
      const own = runner.projection.everyBlock ? this.lastAcknowledged : (this.acknowledged.get(block) ?? 0);
      // Spans only for real waits: a read model already up to date costs the trace nothing.
      if (own > runner.applied) await inChildSpan('read_model.wait', waitAttributes(runner, own), () => runner.waitFor(own, waitMs));
      if (minSeq && minSeq > runner.applied) await inChildSpan('read_model.wait', waitAttributes(runner, minSeq), () => runner.catchUp(waitMs, minSeq));
    }
  }

  /**
   * The ledger in Postgres, once it holds the log up to `atLeastSeq`; while the database is
   * unreachable, what the ledger received from the log answers when it can (see `RequestMemory`),
   * and UNAVAILABLE when it cannot. Before a request's first decision (`atLeastSeq` 0), an id the
   * `RequestIdFilter` has never seen is answered at once.
   */
  async find(tenant: string, requestId: string, atLeastSeq: number): Promise<number | null> {
    // A request id never seen needs no look-up: the common case, a request's first attempt.
    if (atLeastSeq === 0 && this.requestIds?.neverUsed(tenant, requestId, this.ledger.receivedToLogEnd)) return null;
    try {
      if (!this.db.available) throw new MemError('UNAVAILABLE', 'the read-model database is unreachable');
      if (atLeastSeq > this.ledger.applied) {
        await inChildSpan('read_model.wait', waitAttributes(this.ledger, atLeastSeq), () => this.ledger.catchUp(this.defaultWaitMs, atLeastSeq));
      }
      const rows = await this.db.prepared<{ seq: string }>(`SELECT seq FROM mem_requests WHERE tenant = $1 AND request_id = $2`, [tenant, requestId]);
      return rows.length ? Number(rows[0].seq) : null;
    } catch (e) {
      if (!isMemError(e) || e.code !== 'UNAVAILABLE') throw e;
      const known = this.requests.answer(tenant, requestId, this.ledger.receivedWholeLog);
      if (known === undefined) throw new MemError('UNAVAILABLE', `the request ledger is unreachable and request ${requestId} cannot be checked from the log; nothing was applied`);
      return known;
    }
  }

  async start(): Promise<void> {
    if (!this.feed || !this.applierLock) {
      for (const r of this.runners) await r.start();
      return;
    }
    await this.applierLock.start();
    this.setStandby(!this.applierLock.held);
    await this.feed.start();
    this.requestIds?.startLoad();
    this.follower = setInterval(() => void this.followApplier(), FOLLOW_APPLIER_MS);
    this.follower.unref();
  }

  /** Whether this instance applies the read models in the background (always, without a live feed). */
  get applier(): boolean {
    return this.applierLock?.held ?? true;
  }

  private setStandby(standby: boolean): void {
    for (const r of this.runners) r.standby = standby;
  }

  /** On standby, tells the runners where the applier's checkpoints stand. */
  private async followApplier(): Promise<void> {
    if (this.applier || this.following) return;
    this.following = true;
    try {
      const rows = await this.db.prepared<{ name: string; seq: string }>(`SELECT name, seq FROM mem_checkpoints`, []);
      const checkpoints = new Map(rows.map((r) => [r.name, Number(r.seq)]));
      for (const r of this.runners) r.followApplier(checkpoints.get(r.name) ?? 0);
    } catch {
      // The database is away: the runners say so themselves; followed again on the next tick.
    } finally {
      this.following = false;
    }
  }

  /** Waits until every read model holds everything in the log now. */
  async catchUp(timeoutMs: number): Promise<void> {
    await Promise.all(this.runners.map((r) => r.catchUp(timeoutMs)));
  }

  async stop(): Promise<void> {
    if (this.follower) clearInterval(this.follower);
    if (this.feed) await this.feed.stop();
    else await Promise.all(this.runners.map((r) => r.stop()));
    await this.applierLock?.stop();
  }
}

const waitAttributes = (runner: ProjectionRunner, seq: number) => ({ 'memsidecar.read_model': runner.name, 'memsidecar.wait_for_seq': seq, 'memsidecar.applied_seq': runner.applied });
