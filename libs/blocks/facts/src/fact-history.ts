import type { StoredEvent } from '@memsidecar/core';
import { foldUpTo, type EventLog } from '@memsidecar/event-store';
import type { FactsEvent } from './facts.events';
import type { ColdReason, FactState, FactStatus } from './facts.model';

/** A fact as it stood at a past sequence: null when it did not exist then (not written yet, or purged). */
export interface FactAt {
  /** The last event that changed the fact by then; null when none had. */
  fromSeq: number | null;
  past: FactState | null;
}

/**
 * Folds a namespace's events, oldest first, into one fact's state, changing it as the read model
 * does (facts.projection.ts): written, superseded, merged, archived, cooled by its scope or by
 * pressure, purged, restored. Events are folded one at a time, so a long history is never held.
 */
export class FactFold {
  private at: FactAt = { fromSeq: null, past: null };

  constructor(private readonly id: string) {}

  get result(): FactAt {
    return this.at;
  }

  apply(e: StoredEvent<FactsEvent>): void {
    const id = this.id;
    switch (e.type) {
      case 'facts.fact_written': {
        const d = e.data;
        const merged = d.relief.merged.find((m) => m.id === id);
        if (merged) this.move(e.seq, 'superseded', null, merged.into);
        if (d.relief.archived.includes(id)) this.move(e.seq, 'archived', null);
        if (d.superseded.includes(id)) this.move(e.seq, 'superseded', null, d.fact.id);
        if (d.fact.id === id && !this.at.past) this.at = { fromSeq: e.seq, past: { ...d.fact, supersededBy: null } };
        if (d.cooled.includes(id)) this.move(e.seq, 'cold', 'scope');
        else if (d.relief.pushed.includes(id)) this.move(e.seq, 'cold', 'pressure');
        break;
      }
      case 'facts.ticked': {
        const past = this.at.past;
        if (past?.status === 'active' && e.data.cooled.some((c) => c.scopeId === past.scopeId)) this.move(e.seq, 'cold', 'scope');
        break;
      }
      case 'facts.purged':
        if (this.at.past && e.data.ids.includes(id)) this.at = { fromSeq: e.seq, past: null };
        break;
      case 'facts.fact_restored':
        if (e.data.fact.id === id) this.at = { fromSeq: e.seq, past: e.data.fact };
        break;
      case 'facts.accessed':
        break;
    }
  }

  /** A status change touches only a fact that is there, and keeps what replaced it unless told. */
  private move(seq: number, status: FactStatus, coldReason: ColdReason | null, supersededBy?: string): void {
    const past = this.at.past;
    if (past) this.at = { fromSeq: seq, past: { ...past, status, coldReason, supersededBy: supersededBy ?? past.supersededBy } };
  }
}

export function foldFact(events: Iterable<StoredEvent<FactsEvent>>, id: string): FactAt {
  const fold = new FactFold(id);
  for (const e of events) fold.apply(e);
  return fold.result;
}

/** A fact as it stood at log sequence `toSeq`, from its namespace's events in the log. */
export const factAt = (log: EventLog, subject: string, id: string, toSeq: number): Promise<FactAt> => foldUpTo(log, subject, toSeq, new FactFold(id));
