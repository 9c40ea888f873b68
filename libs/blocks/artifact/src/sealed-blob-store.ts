import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MemError } from '@memsidecar/core';
import type { SubjectKeys } from '@memsidecar/event-store';
import { HashingTap, type BlobInfo, type BlobKey, type BlobStore, type BlobWritten } from './blob-store';

const MAGIC = Buffer.from('MSB1');
const IV_BYTES = 16;
const BLOCK = 16;
/** Magic, id length, id (a key id is under 256 bytes), IV. */
const MAX_HEADER = MAGIC.length + 1 + 255 + IV_BYTES;

interface Header {
  length: number;
  keyId: string;
  iv: Buffer;
}

/**
 * Artifact bytes sealed like event payloads: AES-256-CTR under the tenant and namespace's data key,
 * a random IV per blob, behind a header naming the key. CTR keeps ranged reads a seek: the counter
 * starts at the block the range starts in. Sizes and SHA-256 are those of the plain bytes. A blob
 * written without the header (before sealing) is read as it is; one whose key was destroyed is
 * NOT_FOUND, as it is after the erasure deletes it.
 */
export class SealedBlobStore implements BlobStore {
  constructor(
    private readonly inner: BlobStore,
    private readonly keys: SubjectKeys,
    /** Off: new blobs are written clear (sealed ones are still opened). */
    private readonly seal = true,
  ) {}

  async put(key: BlobKey, chunks: AsyncIterable<Uint8Array>): Promise<BlobWritten> {
    if (!this.seal) return this.inner.put(key, chunks);
    const dataKey = await this.keys.current(key.tenant, key.ns);
    const iv = randomBytes(IV_BYTES);
    const id = Buffer.from(dataKey.id, 'utf8');
    const cipher = createCipheriv('aes-256-ctr', dataKey.key, iv);
    const tap = new HashingTap();
    async function* sealed(): AsyncGenerator<Uint8Array> {
      yield Buffer.concat([MAGIC, Buffer.from([id.length]), id, iv]);
      for await (const chunk of tap.tap(chunks)) yield cipher.update(chunk);
      const rest = cipher.final();
      if (rest.length > 0) yield rest;
    }
    await this.inner.put(key, sealed());
    return tap.result();
  }

  async *read(key: BlobKey, offset = 0, length?: number): AsyncGenerator<Uint8Array> {
    const header = await this.header(key);
    if (!header) return yield* this.inner.read(key, offset, length);
    const secret = await this.keys.find(header.keyId);
    if (!secret) throw new MemError('NOT_FOUND', `blob ${key.ns}/${key.name} was erased`);
    const decipher = createDecipheriv('aes-256-ctr', secret, counterAt(header.iv, Math.floor(offset / BLOCK)));
    decipher.update(Buffer.alloc(offset % BLOCK));
    for await (const chunk of this.inner.read(key, header.length + offset, length)) yield decipher.update(chunk);
  }

  async stat(key: BlobKey): Promise<{ size: number; modified: Date } | null> {
    const stat = await this.inner.stat(key);
    if (!stat) return null;
    const header = await this.header(key);
    return { size: stat.size - (header?.length ?? 0), modified: stat.modified };
  }

  delete(key: BlobKey): Promise<boolean> {
    return this.inner.delete(key);
  }

  /** Sizes as stored (with the header): the collector only needs names and times. */
  list(): AsyncIterable<BlobInfo> {
    return this.inner.list();
  }

  sweepUnfinished(before: Date): Promise<number> {
    return this.inner.sweepUnfinished(before);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async header(key: BlobKey): Promise<Header | null> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this.inner.read(key, 0, MAX_HEADER)) parts.push(chunk);
    const head = Buffer.concat(parts);
    if (head.length < MAGIC.length + 1 || !head.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    const idLength = head[MAGIC.length];
    const idEnd = MAGIC.length + 1 + idLength;
    if (head.length < idEnd + IV_BYTES) return null;
    return { length: idEnd + IV_BYTES, keyId: head.subarray(MAGIC.length + 1, idEnd).toString('utf8'), iv: head.subarray(idEnd, idEnd + IV_BYTES) };
  }
}

/** The IV advanced by `blocks` counter steps (a 128-bit big-endian add). */
function counterAt(iv: Buffer, blocks: number): Buffer {
  const out = Buffer.from(iv);
  let carry = BigInt(blocks);
  for (let i = out.length - 1; i >= 0 && carry > 0n; i--) {
    const sum = BigInt(out[i]) + (carry & 0xffn);
    out[i] = Number(sum & 0xffn);
    carry = (carry >> 8n) + (sum >> 8n);
  }
  return out;
}
