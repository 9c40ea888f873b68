/**
 * PASETO v4.public (Ed25519) sign and verify, per the PASETO specification:
 * token = "v4.public." + base64url(message || signature) [+ "." + base64url(footer)],
 * signature over PAE(header, message, footer, implicit assertion).
 */
import { sign, verify, type KeyObject } from 'node:crypto';

const HEADER = 'v4.public.';
const SIGNATURE_BYTES = 64;

function le64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n) & 0x7fffffffffffffffn);
  return b;
}

/** Pre-authentication encoding: the piece count, then each piece prefixed by its length. */
export function pae(pieces: Buffer[]): Buffer {
  return Buffer.concat([le64(pieces.length), ...pieces.flatMap((p) => [le64(p.length), p])]);
}

export function signV4Public(payload: object, secretKey: KeyObject, footer = ''): string {
  const message = Buffer.from(JSON.stringify(payload), 'utf8');
  const footerBytes = Buffer.from(footer, 'utf8');
  const signature = sign(null, pae([Buffer.from(HEADER), message, footerBytes, Buffer.alloc(0)]), secretKey);
  const body = Buffer.concat([message, signature]).toString('base64url');
  return footer ? `${HEADER}${body}.${footerBytes.toString('base64url')}` : `${HEADER}${body}`;
}

/** Returns the payload if any of the keys verifies the signature, else null. */
export function verifyV4Public(token: string, publicKeys: readonly KeyObject[]): Record<string, unknown> | null {
  if (!token.startsWith(HEADER)) return null;
  const parts = token.slice(HEADER.length).split('.');
  if (parts.length > 2 || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || (parts[1] !== undefined && !/^[A-Za-z0-9_-]*$/.test(parts[1]))) return null;
  const body = Buffer.from(parts[0], 'base64url');
  if (body.length <= SIGNATURE_BYTES) return null;
  const message = body.subarray(0, body.length - SIGNATURE_BYTES);
  const signature = body.subarray(body.length - SIGNATURE_BYTES);
  const footer = parts[1] ? Buffer.from(parts[1], 'base64url') : Buffer.alloc(0);
  const signed = pae([Buffer.from(HEADER), message, footer, Buffer.alloc(0)]);
  if (!publicKeys.some((k) => verify(null, signed, k, signature))) return null;
  try {
    const payload = JSON.parse(message.toString('utf8'));
    return payload && typeof payload === 'object' && !Array.isArray(payload) ? payload : null;
  } catch {
    return null;
  }
}
