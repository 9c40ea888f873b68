import type { DomainEvent } from '@memsidecar/core';
import type { PressureLevel } from './facts.model';
import type { Ticked } from './tick-decision';
import type { FactWritten } from './write-decision';

export type FactWrittenEvent = DomainEvent<'facts.fact_written', FactWritten & { truncated: boolean; pressure: { pct: number; level: PressureLevel } }>;
export type FactsTicked = DomainEvent<'facts.ticked', Ticked & { turn: number }>;
/** Search hits: their access time and count feed the archive grace and the LRU order. */
export type FactsAccessed = DomainEvent<'facts.accessed', { ids: string[]; at: string }>;
export type FactsPurged = DomainEvent<'facts.purged', { ids: string[] }>;
export type FactsEvent = FactWrittenEvent | FactsTicked | FactsAccessed | FactsPurged;
