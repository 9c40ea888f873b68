import type { DomainEvent } from '@memsidecar/core';

export interface KvValueSetData {
  value: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  metadata: Record<string, string> | null;
  /** Set by `kv.revert`: the log sequence whose state this event restores. */
  revertedTo?: number;
}

export interface KvValueDeletedData {
  version: number;
  /** Set by `kv.revert`: the log sequence whose state (absent) this event restores. */
  revertedTo?: number;
}

export type KvValueSet = DomainEvent<'kv.value_set', KvValueSetData>;
export type KvValueDeleted = DomainEvent<'kv.value_deleted', KvValueDeletedData>;
export type KvEvent = KvValueSet | KvValueDeleted;
