import type { DomainEvent } from '@memsidecar/core';

/**
 * What an issued token grants, never the token itself. The same fields as `IssuedToken` of
 * `@memsidecar/auth`, in the same order (the log keeps them as they were written).
 */
export interface TokenIssuedData {
  tokenId: string;
  tenant: string;
  agent: string;
  namespaces: string[];
  ops: string[];
  issuedAt: string;
  /** Null for a token that never expires. */
  expiresAt: string | null;
}

export interface TokenRevokedData {
  tokenId: string;
  reason: string;
}

export const TOKEN_ISSUED = 'auth.token_issued';
export const TOKEN_REVOKED = 'auth.token_revoked';

export type TokenIssued = DomainEvent<typeof TOKEN_ISSUED, TokenIssuedData>;
export type TokenRevoked = DomainEvent<typeof TOKEN_REVOKED, TokenRevokedData>;
/** Token records: block `auth`, under the pseudo-tenant `memsidecar` (see `tokens.records.ts`). */
export type TokenEvent = TokenIssued | TokenRevoked;
