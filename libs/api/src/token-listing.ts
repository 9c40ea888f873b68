import type { EventEnvelope } from '@memsidecar/core';
import type { IssuedToken } from '@memsidecar/auth';
import { TOKEN_ISSUED, TOKEN_REVOKED } from './revocations';

export type TokenStatus = 'active' | 'expired' | 'revoked';

/**
 * One token as the log knows it. A token revoked without ever being recorded as issued (issued
 * before issuance was recorded, or elsewhere) has only its id: everything else is null.
 */
export interface TokenListing {
  tokenId: string;
  tenant: string | null;
  agent: string | null;
  namespaces: string[] | null;
  ops: string[] | null;
  issuedAt: string | null;
  /** Null for a token that never expires, or one whose issuance is unknown. */
  expiresAt: string | null;
  status: TokenStatus;
}

/** Folds the auth events, oldest first, into one listing per token: issued ones in order, then revoked-only ids. */
export function listTokens(events: Iterable<EventEnvelope>, now: Date): TokenListing[] {
  const issued = new Map<string, IssuedToken>();
  const revoked = new Set<string>();
  for (const e of events) {
    if (e.type === TOKEN_ISSUED) issued.set((e.data as IssuedToken).tokenId, e.data as IssuedToken);
    else if (e.type === TOKEN_REVOKED) revoked.add((e.data as { tokenId: string }).tokenId);
  }
  const status = (t: IssuedToken): TokenStatus =>
    revoked.has(t.tokenId) ? 'revoked' : t.expiresAt !== null && Date.parse(t.expiresAt) <= now.getTime() ? 'expired' : 'active';
  const listings: TokenListing[] = [...issued.values()].map((t) => ({
    tokenId: t.tokenId,
    tenant: t.tenant,
    agent: t.agent,
    namespaces: t.namespaces,
    ops: t.ops,
    issuedAt: t.issuedAt,
    expiresAt: t.expiresAt,
    status: status(t),
  }));
  for (const tokenId of revoked) {
    if (!issued.has(tokenId)) {
      listings.push({ tokenId, tenant: null, agent: null, namespaces: null, ops: null, issuedAt: null, expiresAt: null, status: 'revoked' });
    }
  }
  return listings;
}
