import type { KvDeleteInput as KvDeleteInputDto, KvGetInput as KvGetInputDto, KvListInput as KvListInputDto, KvMgetInput as KvMgetInputDto, KvPutInput as KvPutInputDto } from '@memsidecar/kv';
import { method, type Call, type Metadata, type InputOf, type Method } from './method';

export type KvPutInput = InputOf<KvPutInputDto>;

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

export type KvGetInput = InputOf<KvGetInputDto>;

/** A missing or expired key is `{found: false}`, not an error. */
export type KvGetResult = ({ found: true; value: unknown } & KvEntry) | { found: false };

export type KvMgetInput = InputOf<KvMgetInputDto>;

export interface KvMgetResult {
  /** Found keys only, sorted and de-duplicated. */
  items: KvEntry[];
}

export type KvDeleteInput = InputOf<KvDeleteInputDto>;

export interface KvDeleteResult {
  existed: boolean;
  /** Absent when nothing was deleted. */
  seq?: number;
}

export type KvListInput = InputOf<KvListInputDto>;

export interface KvListResult {
  /** Ascending key order (descending with `reverse`), expired keys skipped. */
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
