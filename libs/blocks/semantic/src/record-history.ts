import type { StoredEvent } from '@memsidecar/core';
import { foldUpTo, type EventLog } from '@memsidecar/event-store';
import type { SemanticEvent, StoredRecord } from './semantic.events';

/** A record as it stood at a past sequence: null when it did not exist then (never stored, or deleted). */
export interface RecordAt {
  /** The last event that changed the record by then; null when none had. */
  fromSeq: number | null;
  past: StoredRecord | null;
}

const earlier = (a: string | null, b: string): string => (a !== null && Date.parse(a) <= Date.parse(b) ? a : b);

/**
 * Folds a namespace's events, oldest first, into one record's state: its last upsert, with the
 * validity that later supersedes and invalidations closed, or nothing once deleted (soft, hard, or
 * by an expiry that deletes). Events are folded one at a time, so a long history is never held.
 */
export class RecordFold {
  private at: RecordAt = { fromSeq: null, past: null };

  constructor(private readonly id: string) {}

  get result(): RecordAt {
    return this.at;
  }

  apply(e: StoredEvent<SemanticEvent>): void {
    const id = this.id;
    switch (e.type) {
      case 'semantic.records_upserted':
        for (const r of e.data.records) {
          if (r.id === id) this.at = { fromSeq: e.seq, past: r };
          else if (r.supersedes.includes(id)) this.close(e.seq, r.validFrom);
        }
        break;
      case 'semantic.records_deleted':
        if (e.data.ids.some((x, i) => x === id && e.data.existed[i])) this.at = { fromSeq: e.seq, past: null };
        break;
      case 'semantic.records_expired':
        if (!e.data.ids.includes(id)) break;
        if (e.data.action === 'invalidate') this.close(e.seq, e.data.at);
        else this.at = { fromSeq: e.seq, past: null };
        break;
    }
  }

  private close(seq: number, when: string): void {
    const past = this.at.past;
    if (past) this.at = { fromSeq: seq, past: { ...past, validTo: earlier(past.validTo, when) } };
  }
}

export function foldRecord(events: Iterable<StoredEvent<SemanticEvent>>, id: string): RecordAt {
  const fold = new RecordFold(id);
  for (const e of events) fold.apply(e);
  return fold.result;
}

/** A record as it stood at log sequence `toSeq`, from the namespace's events in the log. */
export const recordAt = (log: EventLog, subject: string, id: string, toSeq: number): Promise<RecordAt> => foldUpTo(log, subject, toSeq, new RecordFold(id));
