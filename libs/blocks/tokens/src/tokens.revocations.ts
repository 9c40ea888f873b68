import { blockEventsFilter, type EventEnvelope } from '@memsidecar/core';
import type { EventLog, SubscriptionLogger } from '@memsidecar/event-store';
import { TOKEN_REVOKED, type TokenRevokedData } from './tokens.events';

/**
 * The revoked token ids, followed from the log by every instance (derived state: each instance
 * rebuilds it from the beginning of the log at start).
 */
export class RevocationList {
  private readonly revoked = new Set<string>();
  private readonly unsubscribe = new AbortController();
  private following: Promise<void> | null = null;

  constructor(private readonly logger: SubscriptionLogger) {}

  has(tokenId: string): boolean {
    return tokenId !== '' && this.revoked.has(tokenId);
  }

  /**
   * Reads every revocation so far (resolves once they are known), then keeps following new ones
   * from right after the last event read, through nats-server restarts and lost consumers.
   */
  async follow(store: EventLog): Promise<void> {
    const filter = blockEventsFilter(store.prefix, 'auth');
    let lastRead = 0;
    for await (const e of store.read({ filter })) {
      this.note(e);
      lastRead = e.seq;
    }
    await this.afterInitialRead();
    // From what was read, not from the log's end now: a revocation appended meanwhile is not skipped.
    const subscription = store.subscribe({ name: 'revocation list', filter, fromSeq: lastRead + 1, batch: 64, signal: this.unsubscribe.signal, logger: this.logger });
    this.following = (async () => {
      for await (const e of subscription) this.note(e);
    })();
  }

  async close(): Promise<void> {
    this.unsubscribe.abort();
    await this.following;
  }

  /** Between the initial read and the start of the following (a seam for tests of that window). */
  protected async afterInitialRead(): Promise<void> {}

  private note(e: EventEnvelope): void {
    if (e.type === TOKEN_REVOKED) this.revoked.add((e.data as TokenRevokedData).tokenId);
  }
}
