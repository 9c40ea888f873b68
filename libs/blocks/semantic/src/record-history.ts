import { allEventsFilter, invalidArgument, type StoredEvent } from '@memsidecar/core';
import type { EventLog } from '@memsidecar/event-store';
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
 * by an expiry that deletes).
 */
export function foldRecord(events: Iterable<StoredEvent<SemanticEvent>>, id: string): RecordAt {
  let at: RecordAt = { fromSeq: null, past: null };
  const closed = (seq: number, when: string) => {
    if (at.past) at = { fromSeq: seq, past: { ...at.past, validTo: earlier(at.past.validTo, when) } };
  };
  for (const e of events) {
    switch (e.type) {
      case 'semantic.records_upserted':
        for (const r of e.data.records) {
          if (r.id === id) at = { fromSeq: e.seq, past: r };
          else if (r.supersedes.includes(id)) closed(e.seq, r.validFrom);
        }
        break;
      case 'semantic.records_deleted':
        if (e.data.ids.some((x, i) => x === id && e.data.existed[i])) at = { fromSeq: e.seq, past: null };
        break;
      case 'semantic.records_expired':
        if (!e.data.ids.includes(id)) break;
        if (e.data.action === 'invalidate') closed(e.seq, e.data.at);
        else at = { fromSeq: e.seq, past: null };
        break;
    }
  }
  return at;
}

/** A record as it stood at log sequence `toSeq`, from the namespace's events in the log. */
export async function recordAt(log: EventLog, subject: string, id: string, toSeq: number): Promise<RecordAt> {
  const end = await log.lastSeq(allEventsFilter(log.prefix));
  if (toSeq > end) throw invalidArgument('toSeq', `is beyond the log's end (${end})`);
  const events: StoredEvent<SemanticEvent>[] = [];
  for await (const e of log.read({ filter: subject })) {
    if (e.seq > toSeq) break;
    events.push(e as StoredEvent<SemanticEvent>);
  }
  return foldRecord(events, id);
}
