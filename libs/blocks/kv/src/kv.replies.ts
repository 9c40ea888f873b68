import type { Provenance } from '@memsidecar/core';

export interface KvPutResult {
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  seq: number;
}

/** One stored key; `value` is absent from `kv.list` pages without `includeValues`. */
export interface KvItem {
  key: string;
  value?: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  metadata: Record<string, string>;
  /** Of the write that set the value. */
  provenance?: Provenance;
}

/** A missing or expired key is `{found: false}`, not an error. */
export type KvGetResult = ({ found: true; value: unknown } & KvItem) | { found: false };

export interface KvMgetResult {
  /** Found keys only, sorted and de-duplicated. */
  items: KvItem[];
}

export interface KvDeleteResult {
  existed: boolean;
  /** Absent when nothing was deleted. */
  seq?: number;
}

export interface KvRevertResult {
  /** What the key holds now: the value it held at `toSeq`, or nothing. */
  restored: 'value' | 'absent';
  /** The event whose state was restored; null when the key had no event by `toSeq`. */
  fromSeq: number | null;
  /** The key's version after the revert (0: absent). */
  version: number;
  /** The revert's own event; absent when nothing had to change. */
  seq?: number;
}

export interface KvListResult {
  /** Ascending key order (descending with `reverse`), expired keys skipped. */
  items: KvItem[];
  /** `startAfter` of the next page; null on the last one. */
  nextStartAfter: string | null;
}
