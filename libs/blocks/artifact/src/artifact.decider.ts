import { assertNever, type CommandMeta, type Decider } from '@memsidecar/core';
import type { ArtifactDeleted, ArtifactEvent, ArtifactStored, ArtifactVersion } from './artifact.events';

//////////////////////////////////////// Commands

/** Points the artifact at a blob already written and hashed by the caller of the decider. */
export interface StoreArtifact {
  type: 'StoreArtifact';
  id: string;
  blob: string;
  size: number;
  sha256: string;
  contentType: string;
  metadata: Record<string, string>;
}

export interface DeleteArtifact {
  type: 'DeleteArtifact';
}

export type ArtifactCommand = StoreArtifact | DeleteArtifact;

//////////////////////////////////////// State

export type ArtifactState = { status: 'absent' } | ({ status: 'present' } & ArtifactVersion);

export const initialArtifactState = (): ArtifactState => ({ status: 'absent' });

//////////////////////////////////////// Decisions

const store = (command: StoreArtifact, state: ArtifactState, meta: CommandMeta): ArtifactStored | null => {
  // Blob names are unique per write: the same blob again is a retried commit that already landed.
  if (state.status === 'present' && state.blob === command.blob) return null;
  const now = meta.now.toISOString();
  const previous = state.status === 'present' ? state : null;
  return {
    type: 'artifact.stored',
    v: 1,
    data: {
      id: command.id,
      version: (previous?.version ?? 0) + 1,
      blob: command.blob,
      size: command.size,
      sha256: command.sha256,
      contentType: command.contentType,
      metadata: command.metadata,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      replacedBlob: previous?.blob ?? null,
    },
  };
};

const remove = (state: ArtifactState): ArtifactDeleted | null =>
  state.status === 'present' ? { type: 'artifact.deleted', v: 1, data: { id: state.id, version: state.version, blob: state.blob } } : null;

export const artifactDecider: Decider<ArtifactState, ArtifactCommand, ArtifactEvent> = {
  initialState: initialArtifactState,
  decide(command, state, meta) {
    switch (command.type) {
      case 'StoreArtifact':
        return store(command, state, meta);
      case 'DeleteArtifact':
        return remove(state);
      default:
        return assertNever(command);
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'artifact.stored': {
        const { replacedBlob: _replaced, ...version } = event.data;
        return { status: 'present', ...version };
      }
      case 'artifact.deleted':
        return { status: 'absent' };
      default:
        return assertNever(event);
    }
  },
};
