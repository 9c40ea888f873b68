import { createHash } from 'node:crypto';
import type { SessionBinding } from '../caller';
import { MemoryError } from '../errors';
import type { ArtifactChunk, ArtifactRef, ArtifactUpload } from './artifact';
import type { Metadata } from './method';

/** The contract's largest `data` of one request. */
export const UPLOAD_CHUNK_BYTES = 512 * 1024;

export type ArtifactSource = Uint8Array | AsyncIterable<Uint8Array>;

export interface ArtifactUploadOptions {
  id?: string;
  contentType?: string;
  metadata?: Metadata;
  /** Ties every call of the upload to an open session. */
  session?: SessionBinding;
  /** Per-attempt reply timeout of each call. */
  timeoutMs?: number;
}

/** The source cut into pieces of exactly `size` bytes (the last one shorter), whatever the source's own pieces. */
export async function* rechunk(source: ArtifactSource, size: number): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    for (let at = 0; at < source.length; at += size) yield source.subarray(at, at + size);
    return;
  }
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    let rest = piece;
    while (pendingBytes + rest.length >= size) {
      const take = size - pendingBytes;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending);
      rest = rest.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');

/**
 * begin, one append per 512 KiB, then commit with the digest computed here, so bytes damaged on the
 * way are refused (DIGEST_MISMATCH) instead of stored. Each call is retried on its own, with its own
 * request id, so a retried append is applied once.
 */
export async function uploadArtifact(
  parts: Pick<ArtifactUpload, 'begin' | 'append' | 'commit'>,
  ns: string,
  source: ArtifactSource,
  options: ArtifactUploadOptions = {},
): Promise<ArtifactRef> {
  const { session, timeoutMs, ...described } = options;
  const call = { session, timeoutMs };
  const { uploadId } = await parts.begin({ ns, ...described }, call);
  const digest = createHash('sha256');
  for await (const chunk of rechunk(source, UPLOAD_CHUNK_BYTES)) {
    digest.update(chunk);
    await parts.append({ uploadId, data: toBase64(chunk) }, call);
  }
  return parts.commit({ uploadId, sha256: digest.digest('hex') }, call);
}

/** Concatenates the chunks of `artifact.read`, checking that each starts where the previous one ended. */
export async function downloadArtifact(chunks: AsyncIterable<ArtifactChunk>, offset: number): Promise<Buffer> {
  const buffers: Buffer[] = [];
  let next = offset;
  for await (const chunk of chunks) {
    if (chunk.offset !== next) throw new MemoryError('INTERNAL', `artifact.read: expected bytes at offset ${next}, got ${chunk.offset}`, undefined, undefined, 'artifact.read');
    const bytes = Buffer.from(chunk.data, 'base64');
    buffers.push(bytes);
    next += bytes.length;
  }
  return Buffer.concat(buffers);
}
