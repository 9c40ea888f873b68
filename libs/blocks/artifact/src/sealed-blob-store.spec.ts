import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMemError } from '@memsidecar/core';
import { InMemorySubjectKeys } from '@memsidecar/event-store';
import type { BlobKey, BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { SealedBlobStore } from './sealed-blob-store';

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(store: BlobStore, key: BlobKey, offset?: number, length?: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of store.read(key, offset, length)) parts.push(c);
  return Buffer.concat(parts);
}

/** Every file under a directory, as bytes. */
const filesUnder = (dir: string): Buffer[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(join(e.parentPath, e.name)));

describe('sealed blob store - artifact bytes under the namespace key', () => {
  let dir: string;
  let keys: InMemorySubjectKeys;
  let plain: FsBlobStore;
  let sealed: SealedBlobStore;
  const bytes = randomBytes(100_003);
  const key = (name: string, ns = 'docs'): BlobKey => ({ tenant: 't1', ns, name });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'memsidecar-sealed-blobs-'));
    keys = new InMemorySubjectKeys();
    plain = new FsBlobStore(dir);
    sealed = new SealedBlobStore(plain, keys);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('returns the plain bytes’ size and SHA-256, stores none of them in clear, and reads them back whole', async () => {
    const written = await sealed.put(key('a'), chunked(bytes, 7_000));
    expect(written).toEqual({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    const stored = filesUnder(dir);
    expect(stored).toHaveLength(1);
    expect(stored[0].includes(bytes.subarray(5_000, 5_032))).toBe(false);
    expect((await readAll(sealed, key('a'))).equals(bytes)).toBe(true);
    expect((await sealed.stat(key('a')))?.size).toBe(bytes.length);
  });

  it('reads any range, whatever block it starts and ends in', async () => {
    for (const [offset, length] of [[0, 1], [15, 2], [16, 16], [17, 4_099], [99_990, 100], [100_002, 5], [100_003, 10]]) {
      expect((await readAll(sealed, key('a'), offset, length)).equals(bytes.subarray(offset, offset + length))).toBe(true);
    }
  });

  it('reads a blob written clear as it is', async () => {
    await plain.put(key('clear'), chunked(Buffer.from('written before sealing'), 5));
    expect((await readAll(sealed, key('clear'), 8)).toString()).toBe('before sealing');
    expect((await sealed.stat(key('clear')))?.size).toBe(22);
  });

  it('writes clear when sealing is off, and still opens what was sealed', async () => {
    const off = new SealedBlobStore(plain, keys, false);
    await off.put(key('off'), chunked(Buffer.from('clear text'), 4));
    expect((await readAll(plain, key('off'))).toString()).toBe('clear text');
    expect((await readAll(off, key('a'), 10, 10)).equals(bytes.subarray(10, 20))).toBe(true);
  });

  it('answers NOT_FOUND once the namespace’s key is destroyed', async () => {
    await sealed.put(key('other', 'kept'), chunked(Buffer.from('kept'), 4));
    await keys.destroy({ tenant: 't1', ns: 'docs' });
    const error = await readAll(sealed, key('a')).catch((e: unknown) => e);
    expect(isMemError(error) && error.code).toBe('NOT_FOUND');
    expect((await readAll(sealed, key('other', 'kept'))).toString()).toBe('kept');
  });
});
