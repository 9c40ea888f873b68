import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningKeys {
  secretKey: KeyObject;
  publicKey: KeyObject;
}

export const signingKeyPath = (dataDir: string): string => join(dataDir, 'keys', 'signing-key.pem');
export const publicKeyPath = (dataDir: string): string => join(dataDir, 'keys', 'public-key.pem');

/** Parses a public key given as PEM (SPKI) or as 64 hex characters (raw Ed25519). */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(trimmed, 'hex').toString('base64url') }, format: 'jwk' });
  }
  const key = createPublicKey(trimmed);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('public keys must be Ed25519 (PASETO v4.public)');
  return key;
}

export function parseSecretKey(text: string): KeyObject {
  const key = createPrivateKey(text.trim());
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the signing key must be Ed25519 (PASETO v4.public)');
  return key;
}

export const publicKeyHex = (key: KeyObject): string =>
  Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url').toString('hex');

export function readSigningKeys(dataDir: string): SigningKeys | null {
  if (!existsSync(signingKeyPath(dataDir))) return null;
  const secretKey = parseSecretKey(readFileSync(signingKeyPath(dataDir), 'utf8'));
  return { secretKey, publicKey: createPublicKey(secretKey) };
}

/** Writes a new Ed25519 keypair into `<dataDir>/keys`; the secret key file is mode 0600. */
export function generateSigningKeys(dataDir: string): SigningKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
  writeFileSync(signingKeyPath(dataDir), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  writeFileSync(publicKeyPath(dataDir), publicKey.export({ format: 'pem', type: 'spki' }), { mode: 0o644 });
  return { secretKey: privateKey, publicKey };
}
