import { MemError, assertNever, failedPrecondition, type CommandMeta, type Decider } from '@memsidecar/core';
import type { UploadAppended, UploadBegun, UploadCommitted, UploadEvent, UploadExpired, UploadExtended } from './artifact.events';

//////////////////////////////////////// Commands

export interface BeginUpload {
  type: 'BeginUpload';
  uploadId: string;
  id: string;
  contentType: string;
  metadata: Record<string, string>;
  /** An upload with no append for this long is abandoned. */
  ttlMs: number;
}

/** Records a part already staged as its own blob. */
export interface AppendPart {
  type: 'AppendPart';
  blob: string;
  size: number;
  ttlMs: number;
}

/** Seals the upload as the parts the caller assembled; `expectedParts` guards against a racing append. */
export interface CommitUpload {
  type: 'CommitUpload';
  expectedParts: number;
  blob: string;
  size: number;
  sha256: string;
}

/** Pushes the expiry out while a commit copies the parts. */
export interface ExtendUpload {
  type: 'ExtendUpload';
  ttlMs: number;
}

export interface ExpireUpload {
  type: 'ExpireUpload';
}

export type UploadCommand = BeginUpload | AppendPart | ExtendUpload | CommitUpload | ExpireUpload;

//////////////////////////////////////// State

export interface UploadPart {
  blob: string;
  size: number;
}

export type UploadState =
  | { status: 'absent' }
  | {
      status: 'open' | 'committed' | 'expired';
      uploadId: string;
      id: string;
      contentType: string;
      metadata: Record<string, string>;
      parts: UploadPart[];
      size: number;
      expiresAt: string;
      committed: UploadCommitted['data'] | null;
    };

export type KnownUpload = Exclude<UploadState, { status: 'absent' }>;

export const initialUploadState = (): UploadState => ({ status: 'absent' });

const lapsed = (state: KnownUpload, now: Date) => Date.parse(state.expiresAt) <= now.getTime();

const notFound = () => new MemError('NOT_FOUND', 'uploadId: no such upload (unknown, expired or in another namespace)', undefined, { field: 'uploadId' });

/** The upload a part may still be added to or committed from; anything else reads as not found or closed. */
export function openUpload(state: UploadState, now: Date): KnownUpload {
  if (state.status === 'absent' || state.status === 'expired' || (state.status === 'open' && lapsed(state, now))) throw notFound();
  if (state.status === 'committed') throw failedPrecondition('UPLOAD_COMMITTED', 'upload is already committed', { field: 'uploadId' });
  return state;
}

const plus = (now: Date, ms: number) => new Date(now.getTime() + ms).toISOString();

//////////////////////////////////////// Decisions

const begin = (c: BeginUpload, state: UploadState, meta: CommandMeta): UploadBegun => {
  if (state.status !== 'absent') throw failedPrecondition('UPLOAD_EXISTS', 'upload already begun', { field: 'uploadId' });
  return {
    type: 'artifact.upload_begun',
    v: 1,
    data: { uploadId: c.uploadId, id: c.id, contentType: c.contentType, metadata: c.metadata, expiresAt: plus(meta.now, c.ttlMs) },
  };
};

const append = (c: AppendPart, state: UploadState, meta: CommandMeta): UploadAppended => {
  const open = openUpload(state, meta.now);
  return {
    type: 'artifact.upload_appended',
    v: 1,
    data: { part: open.parts.length + 1, blob: c.blob, size: c.size, totalSize: open.size + c.size, expiresAt: plus(meta.now, c.ttlMs) },
  };
};

const extend = (c: ExtendUpload, state: UploadState, meta: CommandMeta): UploadExtended => {
  openUpload(state, meta.now);
  return { type: 'artifact.upload_extended', v: 1, data: { expiresAt: plus(meta.now, c.ttlMs) } };
};

const commit = (c: CommitUpload, state: UploadState, meta: CommandMeta): UploadCommitted | null => {
  // A retried commit that already sealed the upload: the caller finishes storing the artifact.
  if (state.status === 'committed' && state.committed?.blob === c.blob) return null;
  const open = openUpload(state, meta.now);
  if (open.parts.length !== c.expectedParts)
    throw failedPrecondition('UPLOAD_CHANGED', 'a part was appended while the upload was being committed; commit again', { field: 'uploadId' });
  return { type: 'artifact.upload_committed', v: 1, data: { parts: c.expectedParts, blob: c.blob, size: c.size, sha256: c.sha256 } };
};

const expire = (state: UploadState, meta: CommandMeta): UploadExpired | null =>
  state.status === 'open' && lapsed(state, meta.now) ? { type: 'artifact.upload_expired', v: 1, data: { expiresAt: state.expiresAt } } : null;

export const uploadDecider: Decider<UploadState, UploadCommand, UploadEvent> = {
  initialState: initialUploadState,
  decide(command, state, meta) {
    switch (command.type) {
      case 'BeginUpload':
        return begin(command, state, meta);
      case 'AppendPart':
        return append(command, state, meta);
      case 'ExtendUpload':
        return extend(command, state, meta);
      case 'CommitUpload':
        return commit(command, state, meta);
      case 'ExpireUpload':
        return expire(state, meta);
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'artifact.upload_begun':
        return { status: 'open', ...event.data, parts: [], size: 0, committed: null };
      case 'artifact.upload_appended':
        if (state.status === 'absent') return state;
        return {
          ...state,
          parts: [...state.parts, { blob: event.data.blob, size: event.data.size }],
          size: event.data.totalSize,
          expiresAt: event.data.expiresAt,
        };
      case 'artifact.upload_extended':
        return state.status === 'absent' ? state : { ...state, expiresAt: event.data.expiresAt };
      case 'artifact.upload_committed':
        return state.status === 'absent' ? state : { ...state, status: 'committed', committed: event.data };
      case 'artifact.upload_expired':
        return state.status === 'absent' ? state : { ...state, status: 'expired' };
      default:
        return assertNever(event);
    }
  },
};
