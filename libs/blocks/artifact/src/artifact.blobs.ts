import { randomBytes } from 'node:crypto';
import { MemError, provenanceField, type Provenance } from '@memsidecar/core';
import { BlobNotFound, type BlobKey, type BlobStore } from './blob-store';
import type { ArtifactVersion } from './artifact.events';
import type { ArtifactRow } from './artifact.queries';
import type { ArtifactRef } from './artifact.replies';

const STAGED = 'upload:';

/** A new, never reused name for one version's bytes: `<id>/<time>-<random>`. */
export const versionBlobName = (id: string, now: Date): string => `${id}/${now.getTime().toString(36)}-${randomBytes(8).toString('hex')}`;

/** A staged part of an upload; `:` never occurs in an id, so it never looks like a version's blob. */
export const stagedBlobName = (uuid: string): string => `${STAGED}${uuid}/${randomBytes(8).toString('hex')}`;

/** The upload a staged blob belongs to, or null for a version's blob. */
export const stagedUpload = (name: string): string | null => (name.startsWith(STAGED) ? name.slice(STAGED.length).split('/')[0] : null);

export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  if (bytes.length > 0) yield bytes;
}

/** Reads a range fully; callers bound `length`, so this never holds more than one reply's worth. */
export async function readRange(blobs: BlobStore, key: BlobKey, offset: number, length: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of blobRange(blobs, key, offset, length)) parts.push(chunk);
  return Buffer.concat(parts);
}

/** A blob that vanished under a reader was replaced or deleted meanwhile: nothing was read, try again. */
export async function* blobRange(blobs: BlobStore, key: BlobKey, offset: number, length?: number): AsyncGenerator<Uint8Array> {
  try {
    yield* blobs.read(key, offset, length);
  } catch (e) {
    if (e instanceof BlobNotFound) throw new MemError('UNAVAILABLE', 'the artifact changed while it was being read; read it again');
    throw e;
  }
}

/** Removes a blob nothing points at; a failure is left to the collector. */
export const discard = (blobs: BlobStore, key: BlobKey): Promise<void> => blobs.delete(key).then(() => undefined, () => undefined);

export const refOfVersion = (d: ArtifactVersion, provenance: Provenance): ArtifactRef => ({
  id: d.id,
  size: d.size,
  sha256: d.sha256,
  contentType: d.contentType,
  metadata: d.metadata,
  createdAt: d.createdAt,
  version: d.version,
  seq: provenance.seq,
  provenance,
});

export const refOfRow = (row: ArtifactRow): ArtifactRef => ({
  id: row.id,
  size: Number(row.size),
  sha256: row.sha256,
  contentType: row.content_type,
  metadata: row.metadata,
  createdAt: row.created_at.toISOString(),
  version: row.version,
  seq: Number(row.seq),
  ...provenanceField(row.provenance),
});

/** Decodes base64 `data`, bounded per request. */
export function decodeData(data: string, maxBytes: number): Buffer {
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > maxBytes) throw new MemError('INVALID_ARGUMENT', `data: is ${bytes.length} bytes, over the limit of ${maxBytes}`, undefined, { field: 'data' });
  return bytes;
}
