import { method, type Call, type Method } from './method';

/** `C` constraint, `D` decision, `V` value, `?` unknown, `✓` done, `~` obsolete. */
export type FactType = 'C' | 'D' | 'V' | '?' | '✓' | '~';

export type PressureLevel = 'ok' | 'merge' | 'archive' | 'push' | 'full';

export interface FactsPressure {
  /** How full the namespace's memory is, in percent. */
  pct: number;
  level: PressureLevel;
}

/** `ns` defaults to `default` in every facts operation. */
interface InNamespace {
  ns?: string;
}

export interface FactsWriteInput extends InNamespace {
  /** One line `T[target]: content`; anything else → INVALID_ARGUMENT naming the expected form. */
  content: string;
  scope?: string;
  sessionId?: string;
}

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

export interface FactsSearchInput extends InNamespace {
  query: string;
  /** An unknown scope → NOT_FOUND. */
  scope?: string;
  /** Default 5, at most 20. */
  limit?: number;
}

export interface FactsSearchResult {
  facts: Fact[];
}

export interface FactsTickInput extends InNamespace {
  sessionId: string;
  turn: number;
  message: string;
}

export interface FactsTickResult {
  /** Scopes that cooled on this turn. */
  cooled: string[];
  /** Why each scope cooled. */
  reasons: Record<string, string>;
  seq: number;
}

export interface FactsStatusInput extends InNamespace {
  sessionId?: string;
}

export interface FactsStatusResult {
  /** Text for a system prompt, within the configured token budget. */
  block: string;
  tokens: number;
  pressure: FactsPressure;
  hot: number;
  cold: number;
}

export interface FactsReflectInput extends InNamespace {
  topic: string;
  limit?: number;
}

export interface FactsReflectResult {
  topic: string;
  count: number;
  groups: Record<'constraints' | 'decisions' | 'values' | 'unknowns' | 'done' | 'obsolete', Fact[]>;
}

export interface FactsExportInput extends InNamespace {
  scope?: string;
  /** Default `all`. */
  status?: 'active' | 'cold' | 'all';
}

export interface FactsExportResult {
  lines: string[];
  facts: Fact[];
}

export interface FactsPurgeInput extends InNamespace {
  scope?: string;
  olderThanDays?: number;
}

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
