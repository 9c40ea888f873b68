import type { DomainEvent } from '@memsidecar/core';
import type { FactState, PressureLevel } from './facts.model';
import type { Ticked } from './tick-decision';
import type { FactWritten } from './write-decision';

export type FactWrittenEvent = DomainEvent<'facts.fact_written', FactWritten & { truncated: boolean; pressure: { pct: number; level: PressureLevel } }>;
export type FactsTicked = DomainEvent<'facts.ticked', Ticked & { turn: number }>;
/** Search hits: their access time and count feed the archive grace and the LRU order. */
export type FactsAccessed = DomainEvent<'facts.accessed', { ids: string[]; at: string }>;
/** `revertedTo` is set by `facts.revert`: the log sequence whose state (absent) of the fact it restores. */
export type FactsPurged = DomainEvent<'facts.purged', { ids: string[]; revertedTo?: number }>;
/** `facts.revert`: one fact back as it stood at log sequence `revertedTo` (its tier and what replaced it). */
export type FactRestored = DomainEvent<'facts.fact_restored', { fact: FactState; revertedTo: number }>;
export type FactsEvent = FactWrittenEvent | FactsTicked | FactsAccessed | FactsPurged | FactRestored;
