import type {
  ArtifactChunk,
  ArtifactDeleteInput as ArtifactDeleteInputDto,
  ArtifactDeleteResult,
  ArtifactGetResult,
  ArtifactIdInput as ArtifactIdInputDto,
  ArtifactListInput as ArtifactListInputDto,
  ArtifactListResult,
  ArtifactPutInput as ArtifactPutInputDto,
  ArtifactRangeInput as ArtifactRangeInputDto,
  ArtifactRef,
  ArtifactStatResult,
  ArtifactUploadAppendInput as ArtifactUploadAppendInputDto,
  ArtifactUploadAppendResult,
  ArtifactUploadBeginInput as ArtifactUploadBeginInputDto,
  ArtifactUploadBeginResult,
  ArtifactUploadCommitInput as ArtifactUploadCommitInputDto,
} from '@memsidecar/artifact';
import type { CallOptions } from '../caller';
import { downloadArtifact, uploadArtifact, type ArtifactSource, type ArtifactUploadOptions } from './artifact-transfer';
import { method, type Call, type InputOf, type Method, type Stream } from './method';
import { streamItems } from './stream-items';

export type {
  ArtifactChunk,
  ArtifactDeleteResult,
  ArtifactGetResult,
  ArtifactListResult,
  ArtifactRef,
  ArtifactStatResult,
  ArtifactUploadAppendResult,
  ArtifactUploadBeginResult,
} from '@memsidecar/artifact';

export type ArtifactPutInput = InputOf<ArtifactPutInputDto>;

export type ArtifactIdInput = InputOf<ArtifactIdInputDto>;

/** A byte range of the newest version; the whole blob by default. */
export type ArtifactRangeInput = InputOf<ArtifactRangeInputDto>;

export type ArtifactListInput = InputOf<ArtifactListInputDto>;

export type ArtifactDeleteInput = InputOf<ArtifactDeleteInputDto>;

export type ArtifactUploadBeginInput = InputOf<ArtifactUploadBeginInputDto>;

export type ArtifactUploadAppendInput = InputOf<ArtifactUploadAppendInputDto>;

export type ArtifactUploadCommitInput = InputOf<ArtifactUploadCommitInputDto>;

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
