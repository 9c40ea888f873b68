import type { Provenance } from '@memsidecar/core';
import type { PressureLevel } from './facts.model';
import type { FactType } from './notation';

export interface FactsPressure {
  /** How full the namespace's memory is, in percent. */
  pct: number;
  level: PressureLevel;
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

/** One fact as the operations send it (the SDK's `Fact`; the block's `Fact` is the stored one). */
export interface WireFact {
  id: string;
  type: FactType;
  target: string;
  content: string;
  scope: string | null;
  /** `hot` (active), `cold`, ... */
  tier: string;
  /** The fact in notation, `T[target]: content`. */
  line: string;
  /** Of the write that stored the fact. */
  provenance?: Provenance;
}

export interface FactsSearchResult {
  facts: WireFact[];
}

export interface FactsTickResult {
  /** Scopes that cooled on this turn. */
  cooled: string[];
  /** Why each scope cooled. */
  reasons: Record<string, string>;
  seq: number;
}

export interface FactsStatusResult {
  /** Text for a system prompt, within the configured token budget. */
  block: string;
  tokens: number;
  pressure: FactsPressure;
  hot: number;
  cold: number;
}

export interface FactsReflectResult {
  topic: string;
  count: number;
  groups: Record<'constraints' | 'decisions' | 'values' | 'unknowns' | 'done' | 'obsolete', WireFact[]>;
}

export interface FactsExportResult {
  lines: string[];
  facts: WireFact[];
}

export interface FactsPurgeResult {
  purged: number;
  seq?: number;
}

export interface FactsRevertResult {
  /** What the fact is now: as it stood at `toSeq` (in the tier it had then), or absent. */
  restored: 'fact' | 'absent';
  /** The last event that changed the fact by `toSeq`; null when none had. */
  fromSeq: number | null;
  /** The restored fact's tier (`hot`, `cold`, `archived` or `superseded`); absent when it is absent. */
  tier?: string;
  /** The restored fact in notation; absent when it is absent. */
  line?: string;
  /** The revert's own event; absent when nothing had to change. */
  seq?: number;
}
