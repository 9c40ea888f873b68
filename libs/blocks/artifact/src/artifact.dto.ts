import { IsBase64, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { registerDecorator } from 'class-validator';
import { IsNamespace, IsStringMap } from '@memsidecar/api';
import { parseUploadId } from './artifact.aggregate';

/** 1-128 characters of [A-Za-z0-9_.-], not `.` or `..`: safe as a path segment in any blob store. */
export const ARTIFACT_ID = /^[A-Za-z0-9_.-]{1,128}$/;
export const isArtifactId = (v: unknown): v is string => typeof v === 'string' && ARTIFACT_ID.test(v) && v !== '.' && v !== '..';

const custom = (name: string, message: string, test: (v: unknown) => boolean) => (target: object, propertyName: string) =>
  registerDecorator({ name, target: target.constructor, propertyName, options: { message }, validator: { validate: test } });

export const IsArtifactId = () => custom('isArtifactId', 'must be 1-128 characters of [A-Za-z0-9_.-], not "." or ".."', isArtifactId);
const IsUploadId = () => custom('isUploadId', 'must be an uploadId returned by artifact.upload.begin', (v) => typeof v === 'string' && parseUploadId(v) !== null);

class Namespaced {
  @IsNamespace()
  ns: string;
}

class Described extends Namespaced {
  /** 1-128 characters of `[A-Za-z0-9_.-]`, not `.` or `..`; generated when absent. */
  @IsOptional()
  @IsArtifactId()
  id?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  contentType?: string;

  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;
}

/** `data` is base64; its decoded size is checked by the operation against the per-request limit. */
export class ArtifactPutInput extends Described {
  /** Base64, at most 512 KiB decoded; larger blobs go through `upload`. */
  @IsString()
  @IsBase64()
  data: string;
}

export class ArtifactUploadBeginInput extends Described {}

export class ArtifactUploadAppendInput {
  @IsUploadId()
  uploadId: string;

  /** Base64, 1 byte to 512 KiB decoded. */
  @IsString()
  @IsBase64()
  data: string;
}

export class ArtifactUploadCommitInput {
  @IsUploadId()
  uploadId: string;

  /** Hex SHA-256 of the whole upload; a mismatch is FAILED_PRECONDITION/DIGEST_MISMATCH and stores nothing. */
  @IsOptional()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'must be 64 hexadecimal characters (SHA-256)' })
  sha256?: string;
}

class Read extends Namespaced {
  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}

export class ArtifactIdInput extends Read {
  @IsArtifactId()
  id: string;
}

export class ArtifactRangeInput extends ArtifactIdInput {
  @IsOptional()
  @IsInt()
  @Min(0)
  offset?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  length?: number;
}

export class ArtifactDeleteInput extends Namespaced {
  @IsArtifactId()
  id: string;
}

export class ArtifactListInput extends Read {
  @IsOptional()
  @IsString()
  @MaxLength(128)
  prefix?: string;

  @IsOptional()
  @IsArtifactId()
  startAfter?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  /** Exact-match AND on metadata. */
  @IsOptional()
  @IsStringMap()
  filter?: Record<string, string>;
}
