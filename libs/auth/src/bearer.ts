import type { KeyObject } from 'node:crypto';
import { verifyToken, type Capability } from './capability';
import { looksLikeJwt, verifyJwt, type JwtTrust } from './jwt';

/** Everything a bearer token may be signed with: PASETO v4.public keys and, optionally, JWT keys. */
export interface TokenTrust {
  publicKeys: readonly KeyObject[];
  jwt: JwtTrust;
}

/**
 * A PASETO token or a JWT, told apart by shape; either way the same capability or UNAUTHENTICATED.
 * Asynchronous because jose verifies JWTs through Web Crypto, which has no synchronous API.
 */
export const verifyBearerToken = async (token: string, trust: TokenTrust, now = new Date()): Promise<Capability> =>
  looksLikeJwt(token) ? verifyJwt(token, trust.jwt, now) : verifyToken(token, trust.publicKeys, now);
