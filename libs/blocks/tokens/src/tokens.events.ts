import type { IssuedToken } from '@memsidecar/auth';
import type { DomainEvent } from '@memsidecar/core';

/** What an issued token grants, never the token itself (`expiresAt` null: it never expires). */
export type TokenIssuedData = IssuedToken;

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
