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
} from '@memsidecar/kv';
import { method, type Call, type InputOf, type Method } from './method';

export type { KvDeleteResult, KvItem as KvEntry, KvGetResult, KvListResult, KvMgetResult, KvPutResult } from '@memsidecar/kv';

export type KvPutInput = InputOf<KvPutInputDto>;

export type KvGetInput = InputOf<KvGetInputDto>;

export type KvMgetInput = InputOf<KvMgetInputDto>;

export type KvDeleteInput = InputOf<KvDeleteInputDto>;

export type KvListInput = InputOf<KvListInputDto>;

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
