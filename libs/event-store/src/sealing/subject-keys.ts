import { MemError } from '@memsidecar/core';
import type { ErasureSubject } from './erasure-subject';

/** A namespace's data key: 32 bytes for AES-256-GCM, and the id events name it by. */
export interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * Where data keys live: a store that may delete (the log may not). One key per tenant and
 * namespace, created on first use; an id names one generation of it, so a key created after an
 * erasure never opens what was sealed before it.
 */
export interface SubjectKeys {
  /** The namespace's key, created on first use; UNAVAILABLE while an erasure of it runs. */
  current(tenant: string, ns: string): Promise<DataKey>;
  /** The key an event names, or null once it is destroyed. */
  find(id: string): Promise<Buffer | null>;
  /**
   * Destroys every key of the subject (overwritten where the store can) and refuses new ones until
   * `release`. Returns the ids destroyed.
   */
  destroy(subject: ErasureSubject): Promise<string[]>;
  /** Lets new keys be created for the subject again (a new generation). */
  release(subject: ErasureSubject): Promise<void>;
  /** Tells `listener` whenever a subject's keys are destroyed, by this instance or another. */
  onDestroyed(listener: (subject: ErasureSubject) => void): void;
  close(): Promise<void>;
}

/** What a key store answers while an erasure of the namespace runs. */
export const erasing = (tenant: string, ns: string): MemError =>
  new MemError('UNAVAILABLE', `namespace ${tenant}/${ns} is being erased; retry once the erasure is done`);
