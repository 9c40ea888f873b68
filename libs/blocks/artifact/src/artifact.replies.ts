import type { Provenance } from '@memsidecar/core';

/** What the log knows of one version of an artifact: the bytes live in the blob store. */
export interface ArtifactRef {
  id: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  contentType: string;
  metadata: Record<string, string>;
  createdAt: string;
  version: number;
  seq: number;
  /** Of the write that stored this version. */
  provenance?: Provenance;
}

export interface ArtifactGetResult {
  ref: ArtifactRef;
  /** Base64, at most 512 KiB: read larger blobs by range, or with `read`/`download`. */
  data: string;
}

export type ArtifactStatResult = ({ found: true } & ArtifactRef) | { found: false };

export interface ArtifactListResult {
  items: ArtifactRef[];
  nextStartAfter: string | null;
}

export interface ArtifactDeleteResult {
  existed: boolean;
  seq?: number;
}

export interface ArtifactUploadBeginResult {
  /** Names the namespace too: `append` and `commit` need nothing else. */
  uploadId: string;
}

export interface ArtifactUploadAppendResult {
  /** Bytes received so far. */
  size: number;
}

/** One item of `artifact.read`: the bytes at `offset`, base64. */
export interface ArtifactChunk {
  offset: number;
  data: string;
}
