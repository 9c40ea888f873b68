import type { ErasureSubject } from './erasure-subject';

/**
 * Names in the key store (NATS KV keys allow `[-/_=.A-Za-z0-9]`): `t<tenant>.n<ns>` holds a
 * namespace's key, `t<tenant>.all` marks a tenant being erased and `t<tenant>.e<ns>` a namespace
 * being erased (both base64url). A key's id is its name and the revision that created it.
 */
const b64 = (value: string): string => Buffer.from(value, 'utf8').toString('base64url');
const unb64 = (value: string): string => Buffer.from(value, 'base64url').toString('utf8');

export const tenantPrefix = (tenant: string): string => `t${b64(tenant)}`;
export const keyName = (tenant: string, ns: string): string => `${tenantPrefix(tenant)}.n${b64(ns)}`;
export const tenantMarker = (tenant: string): string => `${tenantPrefix(tenant)}.all`;
export const namespaceMarker = (tenant: string, ns: string): string => `${tenantPrefix(tenant)}.e${b64(ns)}`;
export const markerOf = (s: ErasureSubject): string => (s.ns === undefined ? tenantMarker(s.tenant) : namespaceMarker(s.tenant, s.ns));

/** The subject a marker stands for, or null for a name that is not a marker. */
export function subjectOfMarker(name: string): ErasureSubject | null {
  const match = /^t([A-Za-z0-9_-]*)\.(all|e([A-Za-z0-9_-]*))$/.exec(name);
  if (!match) return null;
  return match[2] === 'all' ? { tenant: unb64(match[1]) } : { tenant: unb64(match[1]), ns: unb64(match[3]) };
}

/** Whether a key's name belongs to the subject. */
export const keyNameCovers = (s: ErasureSubject, name: string): boolean =>
  s.ns === undefined ? name.startsWith(`${tenantPrefix(s.tenant)}.n`) : name === keyName(s.tenant, s.ns);

export const keyId = (name: string, revision: number): string => `${name}@${revision}`;

export function parseKeyId(id: string): { name: string; revision: number } | null {
  const at = id.lastIndexOf('@');
  const revision = Number(id.slice(at + 1));
  return at > 0 && Number.isSafeInteger(revision) && revision > 0 ? { name: id.slice(0, at), revision } : null;
}
