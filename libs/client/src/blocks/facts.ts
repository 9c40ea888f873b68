import type { FactsExportInput as FactsExportInputDto, FactsPurgeInput as FactsPurgeInputDto, FactsReflectInput as FactsReflectInputDto, FactsSearchInput as FactsSearchInputDto, FactsStatusInput as FactsStatusInputDto, FactsTickInput as FactsTickInputDto, FactsWriteInput as FactsWriteInputDto } from '@memsidecar/facts';
import { method, type Call, type Method, type InputOf } from './method';

/** `C` constraint, `D` decision, `V` value, `?` unknown, `✓` done, `~` obsolete. */
export type FactType = 'C' | 'D' | 'V' | '?' | '✓' | '~';

export type PressureLevel = 'ok' | 'merge' | 'archive' | 'push' | 'full';

export interface FactsPressure {
  /** How full the namespace's memory is, in percent. */
  pct: number;
  level: PressureLevel;
}


export type FactsWriteInput = InputOf<FactsWriteInputDto>;

export interface FactsWriteResult {
  id: string;
  status: 'stored' | 'duplicate';
  type: FactType;
  target: string;
  scope: string | null;
  /** Ids of the facts this one replaced. */
  superseded: string[];
  truncated: boolean;
  pressure: FactsPressure;
  warnings: string[];
  /** Absent for a duplicate: nothing was written. */
  seq?: number;
}

export interface Fact {
  id: string;
  type: FactType;
  target: string;
  content: string;
  scope: string | null;
  /** `hot` (active), `cold`, ... */
  tier: string;
  /** The fact in notation, `T[target]: content`. */
  line: string;
}

export type FactsSearchInput = InputOf<FactsSearchInputDto>;

export interface FactsSearchResult {
  facts: Fact[];
}

export type FactsTickInput = InputOf<FactsTickInputDto>;

export interface FactsTickResult {
  /** Scopes that cooled on this turn. */
  cooled: string[];
  /** Why each scope cooled. */
  reasons: Record<string, string>;
  seq: number;
}

export type FactsStatusInput = InputOf<FactsStatusInputDto>;

export interface FactsStatusResult {
  /** Text for a system prompt, within the configured token budget. */
  block: string;
  tokens: number;
  pressure: FactsPressure;
  hot: number;
  cold: number;
}

export type FactsReflectInput = InputOf<FactsReflectInputDto>;

export interface FactsReflectResult {
  topic: string;
  count: number;
  groups: Record<'constraints' | 'decisions' | 'values' | 'unknowns' | 'done' | 'obsolete', Fact[]>;
}

export type FactsExportInput = InputOf<FactsExportInputDto>;

export interface FactsExportResult {
  lines: string[];
  facts: Fact[];
}

export type FactsPurgeInput = InputOf<FactsPurgeInputDto>;

export interface FactsPurgeResult {
  purged: number;
  seq?: number;
}

export interface FactsClient {
  write: Method<FactsWriteInput, FactsWriteResult>;
  search: Method<FactsSearchInput, FactsSearchResult>;
  tick: Method<FactsTickInput, FactsTickResult>;
  status: Method<FactsStatusInput, FactsStatusResult>;
  reflect: Method<FactsReflectInput, FactsReflectResult>;
  export: Method<FactsExportInput, FactsExportResult>;
  purge: Method<FactsPurgeInput, FactsPurgeResult>;
}

export const factsClient = (call: Call): FactsClient => ({
  write: method(call, 'facts.write'),
  search: method(call, 'facts.search'),
  tick: method(call, 'facts.tick'),
  status: method(call, 'facts.status'),
  reflect: method(call, 'facts.reflect'),
  export: method(call, 'facts.export'),
  purge: method(call, 'facts.purge'),
});
