import { randomUUID, type KeyObject } from 'node:crypto';
import { MemError, isTrustLabel, matchesPattern, type Block, type TrustLabel } from '@memsidecar/core';
import { signV4Public, verifyV4Public } from './paseto-v4';

export const TOKEN_ISSUER = 'memsidecar';

/** What a token lets its bearer do: who it is, which namespaces and which operations. */
export interface Capability {
  tenant: string;
  agent: string;
  /** Namespace patterns `<block>/<ns>`: exact, `*`, or a trailing `*`. */
  namespaces: string[];
  /** Fully qualified ops (`kv.put`), `<block>.*` or `*`. */
  ops: string[];
  tokenId: string;
  expiresAt: Date | null;
  /** The operator's trust label, stamped on every event the token writes; absent: unlabelled. */
  trust?: TrustLabel;
}

export interface IssueRequest {
  tenant: string;
  agent?: string;
  namespaces: string[];
  ops: string[];
  ttlMs?: number;
  tokenId?: string;
  trust?: TrustLabel;
}

const TENANT = /^[A-Za-z0-9_.:-]{1,64}$/;

export const isTenant = (value: unknown): value is string => typeof value === 'string' && TENANT.test(value);

/**
 * What the log records about an issued token: its claims, never the token itself (a record that
 * could be replayed as a credential would make the log a key store).
 */
export interface IssuedToken {
  tokenId: string;
  tenant: string;
  agent: string;
  namespaces: string[];
  ops: string[];
  issuedAt: string;
  expiresAt: string | null;
  trust?: TrustLabel;
}

/** Why a token may not carry these scopes, or null when every pattern is well-formed. */
export function scopeProblem(namespaces: readonly string[], ops: readonly string[]): string | null {
  if (namespaces.length === 0) return 'a token needs at least one namespace pattern';
  if (ops.length === 0) return 'a token needs at least one op';
  for (const op of ops) if (!isOpPattern(op)) return `op "${op}" must be "*", "<block>.*" or "<block>.<op>"`;
  for (const ns of namespaces) if (!isNamespacePattern(ns)) return `namespace pattern "${ns}" must be "*" or "<block>/<ns>"`;
  return null;
}

export function issueToken(request: IssueRequest, secretKey: KeyObject, now = new Date()): string {
  return issueTokenWithRecord(request, secretKey, now).token;
}

/** Issues a token and describes it for the log, from the very claims it signs. */
export function issueTokenWithRecord(request: IssueRequest, secretKey: KeyObject, now = new Date()): { token: string; issued: IssuedToken } {
  if (!isTenant(request.tenant)) throw new Error('tenant must be 1-64 characters of [A-Za-z0-9_.:-]');
  const problem = scopeProblem(request.namespaces, request.ops);
  if (problem) throw new Error(problem);
  if (request.trust !== undefined && !isTrustLabel(request.trust)) throw new Error(TRUST_PROBLEM);
  const issued: IssuedToken = {
    tokenId: request.tokenId ?? randomUUID(),
    tenant: request.tenant,
    agent: request.agent ?? '',
    namespaces: request.namespaces,
    ops: request.ops,
    issuedAt: now.toISOString(),
    expiresAt: request.ttlMs ? new Date(now.getTime() + request.ttlMs).toISOString() : null,
    ...(request.trust ? { trust: request.trust } : {}),
  };
  const claims: Record<string, unknown> = {
    iss: TOKEN_ISSUER,
    sub: issued.agent,
    jti: issued.tokenId,
    iat: issued.issuedAt,
    tenant: issued.tenant,
    agent: issued.agent,
    ns: issued.namespaces,
    ops: issued.ops,
  };
  if (issued.expiresAt) claims.exp = issued.expiresAt;
  if (issued.trust) claims.trust = issued.trust;
  return { token: signV4Public(claims, secretKey), issued };
}

export const unauthenticated = (message: string): MemError => new MemError('UNAUTHENTICATED', message);

/** Verifies signature, issuer, expiry and claim shapes; every failure is UNAUTHENTICATED. */
export function verifyToken(token: string, publicKeys: readonly KeyObject[], now = new Date()): Capability {
  const claims = verifyV4Public(token, publicKeys);
  if (!claims) throw unauthenticated('token is malformed or not signed by a trusted key');
  if (claims.iss !== TOKEN_ISSUER) throw unauthenticated('token issuer is not memsidecar');
  const { tenant, agent, ns, ops, jti, exp, nbf, trust } = claims as Record<string, unknown>;
  if (!isTenant(tenant)) throw unauthenticated('token has no valid tenant claim');
  if (!isStringList(ns) || !isStringList(ops)) throw unauthenticated('token has no valid ns/ops claims');
  const expiresAt = typeof exp === 'string' ? new Date(exp) : null;
  if (exp !== undefined && (!expiresAt || Number.isNaN(expiresAt.getTime()))) throw unauthenticated('token exp claim is not a date');
  if (expiresAt && expiresAt.getTime() <= now.getTime()) throw unauthenticated('token expired');
  if (typeof nbf === 'string' && Date.parse(nbf) > now.getTime()) throw unauthenticated('token not valid yet');
  return {
    tenant,
    agent: typeof agent === 'string' ? agent : '',
    namespaces: ns,
    ops,
    tokenId: typeof jti === 'string' ? jti : '',
    expiresAt,
    ...trustClaim(trust),
  };
}

const TRUST_PROBLEM = 'trust must be one of low, medium, high';

/** The capability's share of a `trust` claim: none when absent, UNAUTHENTICATED when not a label. */
export function trustClaim(claim: unknown): { trust?: TrustLabel } {
  if (claim === undefined) return {};
  if (!isTrustLabel(claim)) throw unauthenticated(`token trust claim is not valid: ${TRUST_PROBLEM}`);
  return { trust: claim };
}

export const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

const isOpPattern = (op: string): boolean => op === '*' || /^[a-z]+\.(\*|[a-z_.]+)$/.test(op);

const isNamespacePattern = (p: string): boolean => p === '*' || /^[a-z]+\/[A-Za-z0-9_.:-]*\*?$/.test(p);

/** True when one of the token's op patterns covers the fully qualified op. */
export const allowsOp = (cap: Capability, op: string): boolean =>
  cap.ops.some((p) => matchesPattern(p, op));

/** True when one of the token's namespace patterns covers `<block>/<ns>`. */
export const allowsNamespace = (cap: Capability, block: Block, ns: string): boolean =>
  cap.namespaces.some((p) => matchesPattern(p, `${block}/${ns}`));
