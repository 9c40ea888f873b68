import { randomUUID, type KeyObject } from 'node:crypto';
import { MemError, type Block } from '@memsidecar/core';
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
}

export interface IssueRequest {
  tenant: string;
  agent?: string;
  namespaces: string[];
  ops: string[];
  ttlMs?: number;
  tokenId?: string;
}

const TENANT = /^[A-Za-z0-9_.:-]{1,64}$/;

export function issueToken(request: IssueRequest, secretKey: KeyObject, now = new Date()): string {
  if (!TENANT.test(request.tenant)) throw new Error('tenant must be 1-64 characters of [A-Za-z0-9_.:-]');
  if (request.namespaces.length === 0) throw new Error('a token needs at least one namespace pattern');
  if (request.ops.length === 0) throw new Error('a token needs at least one op');
  for (const op of request.ops) if (!isOpPattern(op)) throw new Error(`op "${op}" must be "*", "<block>.*" or "<block>.<op>"`);
  for (const ns of request.namespaces) if (!isNamespacePattern(ns)) throw new Error(`namespace pattern "${ns}" must be "*" or "<block>/<ns>"`);
  const claims: Record<string, unknown> = {
    iss: TOKEN_ISSUER,
    sub: request.agent ?? '',
    jti: request.tokenId ?? randomUUID(),
    iat: now.toISOString(),
    tenant: request.tenant,
    agent: request.agent ?? '',
    ns: request.namespaces,
    ops: request.ops,
  };
  if (request.ttlMs) claims.exp = new Date(now.getTime() + request.ttlMs).toISOString();
  return signV4Public(claims, secretKey);
}

const unauthenticated = (message: string) => new MemError('UNAUTHENTICATED', message);

/** Verifies signature, issuer, expiry and claim shapes; every failure is UNAUTHENTICATED. */
export function verifyToken(token: string, publicKeys: readonly KeyObject[], now = new Date()): Capability {
  const claims = verifyV4Public(token, publicKeys);
  if (!claims) throw unauthenticated('token is malformed or not signed by a trusted key');
  if (claims.iss !== TOKEN_ISSUER) throw unauthenticated('token issuer is not memsidecar');
  const { tenant, agent, ns, ops, jti, exp, nbf } = claims as Record<string, unknown>;
  if (typeof tenant !== 'string' || !TENANT.test(tenant)) throw unauthenticated('token has no valid tenant claim');
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
  };
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

const isOpPattern = (op: string): boolean => op === '*' || /^[a-z]+\.(\*|[a-z_.]+)$/.test(op);

const isNamespacePattern = (p: string): boolean => p === '*' || /^[a-z]+\/[A-Za-z0-9_.:-]*\*?$/.test(p);

const matches = (pattern: string, value: string): boolean =>
  pattern === '*' || pattern === value || (pattern.endsWith('*') && value.startsWith(pattern.slice(0, -1)));

/** True when one of the token's op patterns covers the fully qualified op. */
export const allowsOp = (cap: Capability, op: string): boolean =>
  cap.ops.some((p) => p === '*' || p === op || (p.endsWith('.*') && op.startsWith(p.slice(0, -1))));

/** True when one of the token's namespace patterns covers `<block>/<ns>`. */
export const allowsNamespace = (cap: Capability, block: Block, ns: string): boolean =>
  cap.namespaces.some((p) => matches(p, `${block}/${ns}`));
