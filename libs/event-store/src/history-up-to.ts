import { allEventsFilter, invalidArgument, type StoredEvent } from '@memsidecar/core';
import type { EventLog } from './event-log';

/**
 * The events on `filter` up to log sequence `toSeq`, oldest first: the history a revert folds to
 * learn what an entity was then. A `toSeq` past the log's end is INVALID_ARGUMENT naming `toSeq`.
 */
export async function* historyUpTo(log: EventLog, filter: string, toSeq: number): AsyncGenerator<StoredEvent> {
  const end = await log.lastSeq(allEventsFilter(log.prefix));
  if (toSeq > end) throw invalidArgument('toSeq', `is beyond the log's end (${end})`);
  for await (const event of log.read({ filter })) {
    if (event.seq > toSeq) return;
    // An erased event is no longer part of anything's history.
    if (!event.erased) yield event;
  }
}

/** Learns what one entity was from its history, one event at a time (a revert's fold). */
export interface HistoryFold<T> {
  apply(event: StoredEvent): void;
  readonly result: T;
}

/** `fold` fed the events on `filter` up to log sequence `toSeq` (see `historyUpTo`); its result. */
export async function foldUpTo<T>(log: EventLog, filter: string, toSeq: number, fold: HistoryFold<T>): Promise<T> {
  for await (const event of historyUpTo(log, filter, toSeq)) fold.apply(event);
  return fold.result;
}
