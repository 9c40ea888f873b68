import { aggregateSubject, blockEventsFilter, newId, type EventEnvelope } from '@memsidecar/core';
import { ConcurrencyConflict, type EventLog, type SubscriptionLogger } from '@memsidecar/event-store';
import type { IssuedToken } from '@memsidecar/auth';

export const TOKEN_REVOKED = 'auth.token_revoked';
export const TOKEN_ISSUED = 'auth.token_issued';

/** Token events are global (token ids are unique); they live under one pseudo-tenant. */
const AUTH_TENANT = 'memsidecar';

/** Revocations and issuances of one token id sit on separate subjects, each expected to be the first. */
const tokenSubject = (prefix: string, ns: 'tokens' | 'issued', tokenId: string) =>
  aggregateSubject(prefix, { block: 'auth', tenant: AUTH_TENANT, ns, entity: tokenId });

/** Records a revocation in the log; false when the token was revoked before. */
export function revokeToken(store: EventLog, tokenId: string, reason: string, by: string): Promise<boolean> {
  return appendFirst(store, 'tokens', tokenId, TOKEN_REVOKED, { tokenId, reason }, by);
}

/**
 * Records what an issued token grants (never the token itself); false when a token with this id
 * was recorded before, since revocation by id would then hit both.
 */
export function recordTokenIssued(store: EventLog, issued: IssuedToken, by: string): Promise<boolean> {
  // Field by field, so nothing else a caller's object carries can reach the log.
  const { tokenId, tenant, agent, namespaces, ops, issuedAt, expiresAt } = issued;
  return appendFirst(store, 'issued', tokenId, TOKEN_ISSUED, { tokenId, tenant, agent, namespaces, ops, issuedAt, expiresAt }, by);
}

async function appendFirst(store: EventLog, ns: 'tokens' | 'issued', tokenId: string, type: string, data: object, by: string): Promise<boolean> {
  const envelope: EventEnvelope = {
    id: newId(),
    type,
    v: 1,
    at: new Date().toISOString(),
    tenant: AUTH_TENANT,
    agent: by,
    block: 'auth',
    ns,
    entity: tokenId,
    data,
  };
  try {
    await store.append(tokenSubject(store.prefix, ns, tokenId), envelope, { expectedLastSubjectSeq: 0 });
    return true;
  } catch (e) {
    if (e instanceof ConcurrencyConflict) return false;
    throw e;
  }
}

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
    if (e.type === TOKEN_REVOKED) this.revoked.add((e.data as { tokenId: string }).tokenId);
  }
}
