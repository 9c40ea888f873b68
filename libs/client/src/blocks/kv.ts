import type {
  KvDeleteInput as KvDeleteInputDto,
  KvDeleteResult,
  KvGetInput as KvGetInputDto,
  KvGetResult,
  KvListInput as KvListInputDto,
  KvListResult,
  KvMgetInput as KvMgetInputDto,
  KvMgetResult,
  KvPutInput as KvPutInputDto,
  KvPutResult,
  KvRevertInput as KvRevertInputDto,
  KvRevertResult,
} from '@memsidecar/kv';
import { method, type Call, type InputOf, type Method } from './method';

export type { KvDeleteResult, KvItem as KvEntry, KvGetResult, KvListResult, KvMgetResult, KvPutResult, KvRevertResult } from '@memsidecar/kv';

export type KvPutInput = InputOf<KvPutInputDto>;

export type KvGetInput = InputOf<KvGetInputDto>;

export type KvMgetInput = InputOf<KvMgetInputDto>;

export type KvDeleteInput = InputOf<KvDeleteInputDto>;

export type KvListInput = InputOf<KvListInputDto>;

export type KvRevertInput = InputOf<KvRevertInputDto>;

export interface KvClient {
  put: Method<KvPutInput, KvPutResult>;
  get: Method<KvGetInput, KvGetResult>;
  mget: Method<KvMgetInput, KvMgetResult>;
  delete: Method<KvDeleteInput, KvDeleteResult>;
  revert: Method<KvRevertInput, KvRevertResult>;
  list: Method<KvListInput, KvListResult>;
}

export const kvClient = (call: Call): KvClient => ({
  put: method(call, 'kv.put'),
  get: method(call, 'kv.get'),
  mget: method(call, 'kv.mget'),
  delete: method(call, 'kv.delete'),
  revert: method(call, 'kv.revert'),
  list: method(call, 'kv.list'),
});
