import type { CallOptions } from '../caller';
import { downloadArtifact, uploadArtifact, type ArtifactSource, type ArtifactUploadOptions } from './artifact-transfer';
import { method, type Call, type Metadata, type Method, type ReadInput, type Stream } from './method';
import { streamItems } from './stream-items';

/** What the log knows of one version of an artifact: the bytes live in the blob store. */
export interface ArtifactRef {
  id: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  contentType: string;
  metadata: Metadata;
  createdAt: string;
  version: number;
  seq: number;
}

interface Described {
  ns: string;
  /** 1-128 characters of `[A-Za-z0-9_.-]`, not `.` or `..`; generated when absent. */
  id?: string;
  contentType?: string;
  metadata?: Metadata;
}

export interface ArtifactPutInput extends Described {
  /** Base64, at most 512 KiB decoded; larger blobs go through `upload`. */
  data: string;
}

export interface ArtifactIdInput extends ReadInput {
  ns: string;
  id: string;
}

/** A byte range of the newest version; the whole blob by default. */
export interface ArtifactRangeInput extends ArtifactIdInput {
  offset?: number;
  length?: number;
}

export interface ArtifactGetResult {
  ref: ArtifactRef;
  /** Base64, at most 512 KiB: read larger blobs by range, or with `read`/`download`. */
  data: string;
}

export type ArtifactStatResult = ({ found: true } & ArtifactRef) | { found: false };

export interface ArtifactListInput extends ReadInput {
  ns: string;
  prefix?: string;
  startAfter?: string;
  limit?: number;
  /** Exact-match AND on metadata. */
  filter?: Metadata;
}

export interface ArtifactListResult {
  items: ArtifactRef[];
  nextStartAfter: string | null;
}

export interface ArtifactDeleteInput {
  ns: string;
  id: string;
}

export interface ArtifactDeleteResult {
  existed: boolean;
  seq?: number;
}

export type ArtifactUploadBeginInput = Described;

export interface ArtifactUploadBeginResult {
  /** Names the namespace too: `append` and `commit` need nothing else. */
  uploadId: string;
}

export interface ArtifactUploadAppendInput {
  uploadId: string;
  /** Base64, 1 byte to 512 KiB decoded. */
  data: string;
}

export interface ArtifactUploadAppendResult {
  /** Bytes received so far. */
  size: number;
}

export interface ArtifactUploadCommitInput {
  uploadId: string;
  /** Hex SHA-256 of the whole upload; a mismatch is FAILED_PRECONDITION/DIGEST_MISMATCH and stores nothing. */
  sha256?: string;
}

/** One item of `artifact.read`: the bytes at `offset`, base64. */
export interface ArtifactChunk {
  offset: number;
  data: string;
}

/**
 * `upload(ns, bytes)` stores a blob of any size in 512 KiB appends; `upload.begin`, `upload.append`
 * and `upload.commit` are the operations it is made of, for uploads driven by hand.
 */
export interface ArtifactUpload {
  (ns: string, source: ArtifactSource, options?: ArtifactUploadOptions): Promise<ArtifactRef>;
  begin: Method<ArtifactUploadBeginInput, ArtifactUploadBeginResult>;
  append: Method<ArtifactUploadAppendInput, ArtifactUploadAppendResult>;
  commit: Method<ArtifactUploadCommitInput, ArtifactRef>;
}

export interface ArtifactClient {
  put: Method<ArtifactPutInput, ArtifactRef>;
  /** Unknown id → NOT_FOUND. */
  get: Method<ArtifactRangeInput, ArtifactGetResult>;
  stat: Method<ArtifactIdInput, ArtifactStatResult>;
  list: Method<ArtifactListInput, ArtifactListResult>;
  delete: Method<ArtifactDeleteInput, ArtifactDeleteResult>;
  upload: ArtifactUpload;
  /** The bytes as a stream of chunks in order, however large the blob. */
  read(input: ArtifactRangeInput, options?: CallOptions): AsyncIterable<ArtifactChunk>;
  /** `read`, reassembled into one buffer. */
  download(input: ArtifactRangeInput, options?: CallOptions): Promise<Buffer>;
}

export function artifactClient(call: Call, stream: Stream): ArtifactClient {
  const read = (input: ArtifactRangeInput, options?: CallOptions) => streamItems<ArtifactChunk>(stream, 'artifact.read', input, options);
  const parts = {
    begin: method<ArtifactUpload['begin']>(call, 'artifact.upload.begin'),
    append: method<ArtifactUpload['append']>(call, 'artifact.upload.append'),
    commit: method<ArtifactUpload['commit']>(call, 'artifact.upload.commit'),
  };
  return {
    put: method(call, 'artifact.put'),
    get: method(call, 'artifact.get'),
    stat: method(call, 'artifact.stat'),
    list: method(call, 'artifact.list'),
    delete: method(call, 'artifact.delete'),
    upload: Object.assign((ns: string, source: ArtifactSource, options?: ArtifactUploadOptions) => uploadArtifact(parts, ns, source, options), parts),
    read,
    download: (input, options) => downloadArtifact(read(input, options), input.offset ?? 0),
  };
}
