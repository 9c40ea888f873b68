import { createHash } from 'node:crypto';
import { invalidArgument } from '@memsidecar/core';

/** Where a blob lives: the tenant and namespace it belongs to, and its name inside them. */
export interface BlobKey {
  tenant: string;
  ns: string;
  name: string;
}

export interface BlobWritten {
  size: number;
  /** Lower-case hex SHA-256 of the bytes as written. */
  sha256: string;
}

export interface BlobInfo {
  key: BlobKey;
  size: number;
  /** When the blob was completely written: the collector's grace period counts from here. */
  modified: Date;
}

/**
 * The port the artifact block keeps bytes behind. Blobs are written once and never changed: a new
 * version is a new name, so a reader streaming an old version is never disturbed by a writer.
 */
export interface BlobStore {
  /** Writes the chunks in order as a new blob, hashing them on the way; nothing is buffered whole. */
  put(key: BlobKey, chunks: AsyncIterable<Uint8Array>): Promise<BlobWritten>;
  /** The bytes of `[offset, offset + length)` (to the end without `length`), in order; nothing past the end. */
  read(key: BlobKey, offset?: number, length?: number): AsyncIterable<Uint8Array>;
  stat(key: BlobKey): Promise<{ size: number; modified: Date } | null>;
  /** True when the blob existed; deleting a missing blob is not an error (collectors race). */
  delete(key: BlobKey): Promise<boolean>;
  /** Every complete blob, for the garbage collector. */
  list(): AsyncIterable<BlobInfo>;
  /** Removes what writes that never finished (a crash mid-put) left behind, if older than `before`. */
  sweepUnfinished(before: Date): Promise<number>;
  close(): Promise<void>;
}

/** Longest tenant, namespace or name a store accepts (UTF-8 bytes): encoded, it still fits one file name. */
export const MAX_KEY_PART_BYTES = 180;

/** Every part of a key must be non-empty, bounded and free of NUL; stores still encode each part. */
export function checkBlobKey(key: BlobKey): void {
  for (const part of ['tenant', 'ns', 'name'] as const) {
    const value = key[part];
    if (typeof value !== 'string' || value.length === 0 || value.includes('\0') || Buffer.byteLength(value, 'utf8') > MAX_KEY_PART_BYTES)
      throw invalidArgument(part === 'name' ? 'id' : part, `must be 1-${MAX_KEY_PART_BYTES} bytes without NUL`);
  }
}

/** Passes the chunks through while counting and hashing them. */
export class HashingTap {
  private readonly hash = createHash('sha256');
  size = 0;

  async *tap(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.hash.update(chunk);
      this.size += chunk.length;
      yield chunk;
    }
  }

  result(): BlobWritten {
    return { size: this.size, sha256: this.hash.digest('hex') };
  }
}

export class BlobNotFound extends Error {
  constructor(key: BlobKey) {
    super(`blob ${key.tenant}/${key.ns}/${key.name} not found`);
  }
}
