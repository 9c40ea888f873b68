import type {
  FactsExportInput as FactsExportInputDto,
  FactsExportResult,
  FactsPurgeInput as FactsPurgeInputDto,
  FactsPurgeResult,
  FactsReflectInput as FactsReflectInputDto,
  FactsReflectResult,
  FactsRevertInput as FactsRevertInputDto,
  FactsRevertResult,
  FactsSearchInput as FactsSearchInputDto,
  FactsSearchResult,
  FactsStatusInput as FactsStatusInputDto,
  FactsStatusResult,
  FactsTickInput as FactsTickInputDto,
  FactsTickResult,
  FactsWriteInput as FactsWriteInputDto,
  FactsWriteResult,
  WireFact,
} from '@memsidecar/facts';
import { method, type Call, type Method, type InputOf } from './method';

export type {
  FactType,
  FactsExportResult,
  FactsPressure,
  FactsPurgeResult,
  FactsReflectResult,
  FactsRevertResult,
  FactsSearchResult,
  FactsStatusResult,
  FactsTickResult,
  FactsWriteResult,
  PressureLevel,
} from '@memsidecar/facts';

/** One fact as the operations return it. */
export type Fact = WireFact;

export type FactsWriteInput = InputOf<FactsWriteInputDto>;

export type FactsSearchInput = InputOf<FactsSearchInputDto>;

export type FactsTickInput = InputOf<FactsTickInputDto>;

export type FactsStatusInput = InputOf<FactsStatusInputDto>;

export type FactsReflectInput = InputOf<FactsReflectInputDto>;

export type FactsExportInput = InputOf<FactsExportInputDto>;

export type FactsPurgeInput = InputOf<FactsPurgeInputDto>;

export type FactsRevertInput = InputOf<FactsRevertInputDto>;

export interface FactsClient {
  write: Method<FactsWriteInput, FactsWriteResult>;
  search: Method<FactsSearchInput, FactsSearchResult>;
  tick: Method<FactsTickInput, FactsTickResult>;
  status: Method<FactsStatusInput, FactsStatusResult>;
  reflect: Method<FactsReflectInput, FactsReflectResult>;
  export: Method<FactsExportInput, FactsExportResult>;
  purge: Method<FactsPurgeInput, FactsPurgeResult>;
  revert: Method<FactsRevertInput, FactsRevertResult>;
}

export const factsClient = (call: Call): FactsClient => ({
  write: method(call, 'facts.write'),
  search: method(call, 'facts.search'),
  tick: method(call, 'facts.tick'),
  status: method(call, 'facts.status'),
  reflect: method(call, 'facts.reflect'),
  export: method(call, 'facts.export'),
  purge: method(call, 'facts.purge'),
  revert: method(call, 'facts.revert'),
});
