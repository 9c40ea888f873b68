import type { DomainEvent } from '@memsidecar/core';

/** One version of an artifact; every `artifact.stored` carries it whole, so the newest event rebuilds the state. */
export interface ArtifactVersion {
  id: string;
  version: number;
  /** Name of the immutable blob holding this version's bytes in the blob store (never the bytes). */
  blob: string;
  size: number;
  /** Lower-case hex SHA-256 of the bytes, computed by the service. */
  sha256: string;
  contentType: string;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

export interface ArtifactStoredData extends ArtifactVersion {
  /** The blob of the version this one replaced, so the collector can keep it a grace period for readers. */
  replacedBlob: string | null;
}

export interface ArtifactDeletedData {
  id: string;
  version: number;
  blob: string;
}

export type ArtifactStored = DomainEvent<'artifact.stored', ArtifactStoredData>;
export type ArtifactDeleted = DomainEvent<'artifact.deleted', ArtifactDeletedData>;
export type ArtifactEvent = ArtifactStored | ArtifactDeleted;

//////////////////////////////////////// Uploads (one aggregate per upload, folded from all its events)

export interface UploadBegunData {
  uploadId: string;
  id: string;
  contentType: string;
  metadata: Record<string, string>;
  expiresAt: string;
}

/** One staged part: appended in order, each its own blob, so no upload ever sits in memory. */
export interface UploadAppendedData {
  part: number;
  blob: string;
  size: number;
  totalSize: number;
  expiresAt: string;
}

export interface UploadCommittedData {
  parts: number;
  blob: string;
  size: number;
  sha256: string;
}

export type UploadBegun = DomainEvent<'artifact.upload_begun', UploadBegunData>;
export type UploadAppended = DomainEvent<'artifact.upload_appended', UploadAppendedData>;
export type UploadCommitted = DomainEvent<'artifact.upload_committed', UploadCommittedData>;
/** A commit in progress keeps its upload from expiring under it (copying a large upload takes a while). */
export type UploadExtended = DomainEvent<'artifact.upload_extended', { expiresAt: string }>;
export type UploadExpired = DomainEvent<'artifact.upload_expired', { expiresAt: string }>;
export type UploadEvent = UploadBegun | UploadAppended | UploadExtended | UploadCommitted | UploadExpired;
