/**
 * JWT (RFC 7519) capability tokens, accepted beside PASETO for callers whose identity provider
 * issues JWTs. Only asymmetric algorithms with a fixed key type are accepted: RS256 against RSA
 * keys and EdDSA against Ed25519 keys. `none` and HMAC are refused outright — with HMAC, a public
 * key taken as the shared secret would let anyone sign.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { isStringList, isTenant, scopeProblem, unauthenticated, type Capability } from './capability';

/** The keys and expectations JWTs are verified against; no keys means JWTs are not accepted. */
export interface JwtTrust {
  publicKeys: readonly KeyObject[];
  issuer?: string;
  audience?: string;
}

export const NO_JWT: JwtTrust = { publicKeys: [] };

/** The key type each accepted `alg` must be verified with, and the digest node:crypto signs with. */
const ALGORITHMS: Record<string, { keyType: 'rsa' | 'ed25519'; digest: string | null }> = {
  RS256: { keyType: 'rsa', digest: 'sha256' },
  EdDSA: { keyType: 'ed25519', digest: null },
  // RFC 9864's fully specified name for the same signature.
  Ed25519: { keyType: 'ed25519', digest: null },
};

const MIN_RSA_BITS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

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
export function verifyJwt(token: string, trust: JwtTrust, now = new Date()): Capability {
  if (trust.publicKeys.length === 0) throw unauthenticated('JWTs are not accepted here (no JWT keys are configured)');
  if (!looksLikeJwt(token)) throw unauthenticated('JWT is malformed');
  const [headerPart, payloadPart, signaturePart] = token.split('.');
  const header = decodeJson(headerPart, 'header');
  if (header.crit !== undefined) throw unauthenticated('JWT header "crit" extensions are not supported');
  const algorithm = typeof header.alg === 'string' && Object.hasOwn(ALGORITHMS, header.alg) ? ALGORITHMS[header.alg] : undefined;
  if (!algorithm) throw unauthenticated(`JWT alg ${JSON.stringify(header.alg ?? null)} is not accepted (RS256 or EdDSA only)`);
  const signingInput = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  const signature = Buffer.from(signaturePart, 'base64url');
  const candidates = trust.publicKeys.filter((k) => k.asymmetricKeyType === algorithm.keyType);
  if (!candidates.some((k) => verifies(algorithm.digest, signingInput, k, signature))) {
    throw unauthenticated(`JWT is not signed by a trusted ${header.alg} key`);
  }
  return capabilityFromClaims(decodeJson(payloadPart, 'payload'), trust, now);
}

function capabilityFromClaims(claims: Record<string, unknown>, trust: JwtTrust, now: Date): Capability {
  const { tenant, agent, sub, ns, ops, jti, exp, nbf, iss, aud } = claims;
  const expiresAt = numericDate(exp, 'exp');
  const notBefore = numericDate(nbf, 'nbf');
  if (expiresAt && expiresAt.getTime() <= now.getTime()) throw unauthenticated('token expired');
  if (notBefore && notBefore.getTime() > now.getTime()) throw unauthenticated('token not valid yet');
  if (trust.issuer !== undefined && iss !== trust.issuer) throw unauthenticated(`JWT issuer must be "${trust.issuer}"`);
  if (trust.audience !== undefined && !(aud === trust.audience || (isStringList(aud) && aud.includes(trust.audience)))) {
    throw unauthenticated(`JWT audience must include "${trust.audience}"`);
  }
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
  };
}

/** A signature of the wrong length for the key is a bad signature, not an internal error. */
function verifies(digest: string | null, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify(digest, data, key, signature);
  } catch {
    return false;
  }
}

/** `exp`/`nbf` are NumericDates: seconds since the epoch, possibly fractional. */
function numericDate(value: unknown, claim: string): Date | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw unauthenticated(`JWT ${claim} claim is not a NumericDate`);
  return new Date(value * 1000);
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw unauthenticated(`JWT ${what} is not JSON`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw unauthenticated(`JWT ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
