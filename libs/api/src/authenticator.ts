import type { KeyObject } from 'node:crypto';
import { LruMap, MemError } from '@memsidecar/core';
import { NO_JWT, verifyBearerToken, type Capability, type JwtTrust, type TokenTrust } from '@memsidecar/auth';

export type AuthMode = 'token' | 'none';

/** Every caller when auth is `none` (local development only): tenant `default`, every op. */
export const DEVELOPMENT_PRINCIPAL: Capability = {
  tenant: 'default',
  agent: 'anonymous',
  namespaces: ['*'],
  ops: ['*'],
  tokenId: '',
  expiresAt: null,
};

/** Turns an `Authorization` value into a capability; verified tokens are remembered until they expire. */
export class Authenticator {
  private readonly verified = new LruMap<string, Capability>(10_000);
  private trust: TokenTrust;

  constructor(
    private readonly mode: AuthMode,
    publicKeys: readonly KeyObject[],
    private readonly revocations: { has(tokenId: string): boolean } = { has: () => false },
    jwt: JwtTrust = NO_JWT,
  ) {
    this.trust = { publicKeys, jwt };
  }

  /** Replaces the PASETO keys and the JWT keys together, so a reload never leaves one half old. */
  setPublicKeys(publicKeys: readonly KeyObject[], jwt: JwtTrust): void {
    this.trust = { publicKeys, jwt };
    this.verified.clear();
  }

  /** Asynchronous because JWT verification is; PASETO and remembered tokens wait on nothing. */
  async authenticate(authorization: string | undefined, now: Date): Promise<Capability> {
    if (this.mode === 'none') return DEVELOPMENT_PRINCIPAL;
    const token = bearerToken(authorization);
    if (!token) throw new MemError('UNAUTHENTICATED', 'missing token: send "Authorization: Bearer <token>"');
    const cached = this.verified.get(token);
    if (cached && this.revocations.has(cached.tokenId)) throw new MemError('UNAUTHENTICATED', 'token revoked');
    if (cached) {
      if (cached.expiresAt && cached.expiresAt.getTime() <= now.getTime()) {
        this.verified.delete(token);
        throw new MemError('UNAUTHENTICATED', 'token expired');
      }
      return cached;
    }
    const trust = this.trust;
    const capability = await verifyBearerToken(token, trust, now);
    if (this.revocations.has(capability.tokenId)) throw new MemError('UNAUTHENTICATED', 'token revoked');
    // Keys replaced while this token was checked: remembering it would outlive the key that signed it.
    if (trust === this.trust) this.verified.set(token, capability);
    return capability;
  }
}

const bearerToken = (authorization: string | undefined): string | undefined => {
  const value = authorization?.trim();
  if (!value) return undefined;
  return /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '').trim() : value;
};
