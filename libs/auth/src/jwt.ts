/**
 * JWT (RFC 7519) capability tokens, accepted beside PASETO for callers whose identity provider
 * issues JWTs. Only asymmetric algorithms with a fixed key type are accepted: RS256 against RSA
 * keys and EdDSA against Ed25519 keys. `none` and HMAC are refused outright — with HMAC, a public
 * key taken as the shared secret would let anyone sign.
 *
 * Signatures and the registered claims (`exp`, `nbf`, `iss`, `aud`) are checked by jose; the
 * allow-list, the capability claims and the reasons a caller is given stay ours.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import type { MemError } from '@memsidecar/core';
import { isStringList, isTenant, scopeProblem, trustClaim, unauthenticated, type Capability } from './capability';

/** The keys and expectations JWTs are verified against; no keys means JWTs are not accepted. */
export interface JwtTrust {
  publicKeys: readonly KeyObject[];
  issuer?: string;
  audience?: string;
}

export const NO_JWT: JwtTrust = { publicKeys: [] };

type KeyType = 'rsa' | 'ed25519';

/** The key type each accepted `alg` must be verified with. */
const KEY_TYPE_OF_ALGORITHM: Readonly<Record<string, KeyType>> = {
  RS256: 'rsa',
  EdDSA: 'ed25519',
  // RFC 9864's fully specified name for the same signature.
  Ed25519: 'ed25519',
};

/**
 * jose's allow-list for a key, by its type: jose refuses on its own any `alg` this key must not
 * verify, so a mislabelled token is refused even if our own check of the header were skipped.
 */
const ALGORITHMS_FOR_KEY_TYPE: Readonly<Record<KeyType, string[]>> = {
  rsa: algorithmsOf('rsa'),
  ed25519: algorithmsOf('ed25519'),
};

const MIN_RSA_BITS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function algorithmsOf(keyType: KeyType): string[] {
  return Object.keys(KEY_TYPE_OF_ALGORITHM).filter((alg) => KEY_TYPE_OF_ALGORITHM[alg] === keyType);
}

/**
 * Three base64url parts (the signature may be empty, so an unsigned `alg: none` token is refused
 * as such); PASETO tokens (`v4.…`) never count, whatever their shape.
 */
export const looksLikeJwt = (token: string): boolean => {
  if (token.startsWith('v4.')) return false;
  const [header, payload, signature, ...rest] = token.split('.');
  return rest.length === 0 && signature !== undefined && BASE64URL.test(header) && BASE64URL.test(payload) && (signature === '' || BASE64URL.test(signature));
};

/** Parses a JWT verification key: PEM (SPKI), RSA of at least 2048 bits or Ed25519. */
export function parseJwtPublicKey(pem: string): KeyObject {
  const key = createPublicKey(pem.trim());
  if (key.asymmetricKeyType === 'ed25519') return key;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new Error(`RSA keys must have at least ${MIN_RSA_BITS} bits, this one has ${bits}`);
    return key;
  }
  throw new Error(`JWT keys must be RSA (RS256) or Ed25519 (EdDSA), not ${key.asymmetricKeyType ?? 'a symmetric key'}`);
}

/**
 * Verifies signature, `exp`/`nbf`, and `iss`/`aud` when configured, then maps the claims onto a
 * capability exactly as for PASETO tokens; every failure is UNAUTHENTICATED.
 */
export async function verifyJwt(token: string, trust: JwtTrust, now = new Date()): Promise<Capability> {
  if (trust.publicKeys.length === 0) throw unauthenticated('JWTs are not accepted here (no JWT keys are configured)');
  if (!looksLikeJwt(token)) throw unauthenticated('JWT is malformed');
  const algorithm = acceptedAlgorithm(protectedHeader(token));
  const claims = await claimsSignedByTrustedKey(token, algorithm, trust, now);
  return capabilityFromClaims(claims, now);
}

function protectedHeader(token: string): ProtectedHeaderParameters {
  try {
    return decodeProtectedHeader(token);
  } catch {
    throw unauthenticated('JWT header is not a JSON object');
  }
}

/**
 * Read before any key is tried, so a refused `alg` is named as such rather than reported as a bad
 * signature; `crit` is refused because no extension is understood here.
 */
function acceptedAlgorithm(header: ProtectedHeaderParameters): string {
  if (header.crit !== undefined) throw unauthenticated('JWT header "crit" extensions are not supported');
  const { alg } = header;
  if (typeof alg !== 'string' || !Object.hasOwn(KEY_TYPE_OF_ALGORITHM, alg)) {
    throw unauthenticated(`JWT alg ${JSON.stringify(alg ?? null)} is not accepted (RS256 or EdDSA only)`);
  }
  return alg;
}

/**
 * Tries the trusted keys of the type `alg` requires — never a key of another type — until one
 * verifies the signature. jose turns each KeyObject into a CryptoKey once and keeps it (per key
 * and algorithm), so repeated verifications do not import keys again.
 */
async function claimsSignedByTrustedKey(token: string, algorithm: string, trust: JwtTrust, now: Date): Promise<JWTPayload> {
  const keyType = KEY_TYPE_OF_ALGORITHM[algorithm];
  for (const key of trust.publicKeys.filter((k) => k.asymmetricKeyType === keyType)) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ALGORITHMS_FOR_KEY_TYPE[keyType],
        issuer: trust.issuer,
        audience: trust.audience,
        currentDate: now,
      });
      return payload;
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw refusal(error, trust);
    }
  }
  throw unauthenticated(`JWT is not signed by a trusted ${algorithm} key`);
}

/** jose's verdicts in the reasons callers already rely on. */
function refusal(error: unknown, trust: JwtTrust): MemError {
  if (error instanceof errors.JWTExpired) return unauthenticated('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) return claimRefusal(error, trust);
  if (error instanceof errors.JWTInvalid) return unauthenticated('JWT payload is not a JSON object');
  return unauthenticated(`JWT is malformed: ${error instanceof Error ? error.message : String(error)}`);
}

function claimRefusal({ claim, reason }: errors.JWTClaimValidationFailed, trust: JwtTrust): MemError {
  if (reason === 'invalid') return unauthenticated(`JWT ${claim} claim is not a NumericDate`);
  if (claim === 'nbf') return unauthenticated('token not valid yet');
  if (claim === 'iss') return unauthenticated(`JWT issuer must be "${trust.issuer}"`);
  if (claim === 'aud') return unauthenticated(`JWT audience must include "${trust.audience}"`);
  return unauthenticated(`JWT ${claim} claim is not valid`);
}

function capabilityFromClaims(claims: JWTPayload, now: Date): Capability {
  const { tenant, agent, sub, ns, ops, jti, exp, trust } = claims;
  const expiresAt = typeof exp === 'number' ? new Date(exp * 1000) : null;
  // jose compares whole seconds; a fractional `exp` is held to the millisecond, as the
  // authenticator's cache of verified tokens holds it.
  if (expiresAt && expiresAt.getTime() <= now.getTime()) throw unauthenticated('token expired');
  if (!isTenant(tenant)) throw unauthenticated('token has no valid tenant claim');
  if (!isStringList(ns) || !isStringList(ops)) throw unauthenticated('token has no valid ns/ops claims');
  const problem = scopeProblem(ns, ops);
  if (problem) throw unauthenticated(`token has no valid ns/ops claims: ${problem}`);
  if (jti !== undefined && typeof jti !== 'string') throw unauthenticated('JWT jti claim is not a string');
  return {
    tenant,
    agent: typeof agent === 'string' ? agent : typeof sub === 'string' ? sub : '',
    namespaces: ns,
    ops,
    tokenId: jti ?? '',
    expiresAt,
    ...trustClaim(trust),
  };
}
