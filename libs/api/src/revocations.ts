import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { aggregateSubject, blockEventsFilter, newId, type EventEnvelope } from '@memsidecar/core';
import { ConcurrencyConflict, decodeStoredEvent, type EventStore } from '@memsidecar/event-store';

export const TOKEN_REVOKED = 'auth.token_revoked';

/** Revocations are global (token ids are unique); they live under one pseudo-tenant. */
const REVOCATION_TENANT = 'memsidecar';

const revocationSubject = (prefix: string, tokenId: string) =>
  aggregateSubject(prefix, { block: 'auth', tenant: REVOCATION_TENANT, ns: 'tokens', entity: tokenId });

/** Records a revocation in the log; false when the token was revoked before. */
export async function revokeToken(store: EventStore, tokenId: string, reason: string, by: string): Promise<boolean> {
  const envelope: EventEnvelope = {
    id: newId(),
    type: TOKEN_REVOKED,
    v: 1,
    at: new Date().toISOString(),
    tenant: REVOCATION_TENANT,
    agent: by,
    block: 'auth',
    ns: 'tokens',
    entity: tokenId,
    data: { tokenId, reason },
  };
  try {
    await store.append(revocationSubject(store.options.prefix, tokenId), envelope, { expectedSeq: 0 });
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
  private messages: ConsumerMessages | null = null;

  has(tokenId: string): boolean {
    return tokenId !== '' && this.revoked.has(tokenId);
  }

  /** Reads every revocation so far, then keeps following new ones. */
  async follow(store: EventStore): Promise<void> {
    const filter = blockEventsFilter(store.options.prefix, 'auth');
    for await (const e of store.read({ filter })) this.note(e);
    const from = (await store.lastSeq(filter)) + 1;
    const consumer = await store.js.consumers.get(store.stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
    this.messages = await consumer.consume({ max_messages: 64 });
    void (async () => {
      for await (const m of this.messages!) this.note(decodeStoredEvent(m.data, m.seq));
    })();
  }

  async close(): Promise<void> {
    await this.messages?.close();
  }

  private note(e: EventEnvelope): void {
    if (e.type === TOKEN_REVOKED) this.revoked.add((e.data as { tokenId: string }).tokenId);
  }
}
