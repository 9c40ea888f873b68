import { method, type Call, type Metadata, type Method, type ReadInput } from './method';

export interface KvPutInput {
  ns: string;
  /** 1-512 bytes of UTF-8, no NUL. */
  key: string;
  /** Any JSON value. */
  value: unknown;
  /** Without it, an earlier expiry is cleared. */
  ttlMs?: number;
  /** Compare-and-set: the version the key must have now; `0` means create-only. Mismatch → FAILED_PRECONDITION/VERSION_MISMATCH. */
  ifVersion?: number;
  metadata?: Metadata;
}

export interface KvPutResult {
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  seq: number;
}

/** One stored key; `value` is absent from `kv.list` pages without `includeValues`. */
export interface KvEntry {
  key: string;
  value?: unknown;
  version: number;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  metadata: Metadata;
}

export interface KvGetInput extends ReadInput {
  ns: string;
  key: string;
}

/** A missing or expired key is `{found: false}`, not an error. */
export type KvGetResult = ({ found: true; value: unknown } & KvEntry) | { found: false };

export interface KvMgetInput extends ReadInput {
  ns: string;
  /** 1-1000 keys. */
  keys: string[];
}

export interface KvMgetResult {
  /** Found keys only, sorted and de-duplicated. */
  items: KvEntry[];
}

export interface KvDeleteInput {
  ns: string;
  key: string;
  ifVersion?: number;
}

export interface KvDeleteResult {
  existed: boolean;
  /** Absent when nothing was deleted. */
  seq?: number;
}

export interface KvListInput extends ReadInput {
  ns: string;
  prefix?: string;
  /** Exclusive. */
  startAfter?: string;
  /** Default 100, at most 1000. */
  limit?: number;
  includeValues?: boolean;
}

export interface KvListResult {
  /** Ascending key order, expired keys skipped. */
  items: KvEntry[];
  /** `startAfter` of the next page; null on the last one. */
  nextStartAfter: string | null;
}

export interface KvClient {
  put: Method<KvPutInput, KvPutResult>;
  get: Method<KvGetInput, KvGetResult>;
  mget: Method<KvMgetInput, KvMgetResult>;
  delete: Method<KvDeleteInput, KvDeleteResult>;
  list: Method<KvListInput, KvListResult>;
}

export const kvClient = (call: Call): KvClient => ({
  put: method(call, 'kv.put'),
  get: method(call, 'kv.get'),
  mget: method(call, 'kv.mget'),
  delete: method(call, 'kv.delete'),
  list: method(call, 'kv.list'),
});
