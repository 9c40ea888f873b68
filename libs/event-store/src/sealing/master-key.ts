import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MemError } from '@memsidecar/core';

const TAG_BYTES = 16;

/**
 * The operator's key-encryption key: data keys are stored wrapped by it (AES-256-GCM, the key's
 * name as associated data), so the key bucket alone, or a backup of it, opens nothing. It lives
 * outside NATS, in a file of 32 bytes as 64 hex characters or base64.
 */
export class MasterKey {
  private constructor(private readonly key: Buffer) {}

  static fromFile(path: string): MasterKey {
    const text = readFileSync(path, 'utf8').trim();
    const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== 32) throw new Error(`master key file ${path} must hold 32 bytes as 64 hex characters or base64`);
    return new MasterKey(key);
  }

  static of(key: Buffer): MasterKey {
    if (key.length !== 32) throw new Error('a master key is 32 bytes');
    return new MasterKey(Buffer.from(key));
  }

  wrap(dataKey: Buffer, name: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(name, 'utf8'));
    return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]).toString('base64');
  }

  unwrap(wrapped: string, name: string): Buffer {
    const bytes = Buffer.from(wrapped, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new MemError('UNAVAILABLE', `data key ${name} does not open with the configured master key`);
    }
  }
}
