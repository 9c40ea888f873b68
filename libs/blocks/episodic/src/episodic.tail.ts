import type { StoredEvent } from '@memsidecar/core';
import type { BlockDependencies, StreamSink } from '@memsidecar/api';
import type { EpisodicEventAppended } from './episodic.events';
import { EpisodicQueries, toWireEvent, wireFromAppended } from './episodic.queries';
import type { EpisodicTailItem } from './episodic.replies';

export interface TailRequest {
  tenant: string;
  ns: string;
  /** The namespace log's subject. */
  subject: string;
  /** History starts after this cursor; without it the tail starts at the live edge. */
  afterCursor?: number;
  maxEvents: number;
  maxMs: number;
  minSeq?: number;
  sink: StreamSink<EpisodicTailItem>;
}

const HISTORY_PAGE = 500;

/**
 * History from the read model up to the log position S0, then live events from the log after S0:
 * no gap, no duplicate, cursor order. Ends after `maxEvents` events or `maxMs`.
 */
export async function tailEvents(deps: BlockDependencies, queries: EpisodicQueries, r: TailRequest): Promise<void> {
  const deadline = deps.clock.now().getTime() + r.maxMs;
  const beforeDeadline = () => deps.clock.now().getTime() < deadline;
  const s0 = await deps.store.lastSeq(r.subject);
  await deps.readModels.ready('episodic', Math.max(r.minSeq ?? 0, s0) || undefined);
  let sent = 0;
  const send = async (item: EpisodicTailItem) => {
    await r.sink(item);
    sent++;
  };

  if (r.afterCursor !== undefined) {
    let after = r.afterCursor;
    while (sent < r.maxEvents && beforeDeadline()) {
      const page = await queries.range(r.tenant, r.ns, { afterCursor: after, maxSeq: s0 }, Math.min(HISTORY_PAGE, r.maxEvents - sent), false);
      for (const row of page) {
        await send(toWireEvent(row));
        after = Number(row.cursor);
      }
      if (page.length < HISTORY_PAGE) break;
    }
  }
  if (sent >= r.maxEvents || !beforeDeadline()) return;

  await followLive(deps, r, s0, deadline, async (event) => {
    if (event.type !== 'episodic.event_appended') return false;
    const appended = event as StoredEvent<EpisodicEventAppended>;
    if (r.afterCursor !== undefined && appended.data.cursor <= r.afterCursor) return false;
    await send(wireFromAppended(appended));
    return sent >= r.maxEvents;
  });
}

/**
 * The live part: the namespace log after S0 through a subscription (which recovers from a lost
 * consumer or a NATS disruption from the next sequence not yet taken, so still no gap and no
 * duplicate). `take` says whether the tail is complete; the deadline ends it too. A failing `take`
 * (the caller went away) ends the tail with its error: it is never delivered again.
 */
async function followLive(deps: BlockDependencies, r: TailRequest, s0: number, deadline: number, take: (event: StoredEvent) => Promise<boolean>): Promise<void> {
  const ending = new AbortController();
  void deps.clock.sleep(deadline - deps.clock.now().getTime(), ending.signal).then(() => ending.abort());
  try {
    const subscription = deps.store.subscribe({ name: `episodic tail of ${r.tenant}/${r.ns}`, filter: r.subject, fromSeq: s0 + 1, batch: 256, signal: ending.signal, logger: deps.logger });
    for await (const event of subscription) if (!event.erased && (await take(event))) return;
  } finally {
    ending.abort();
  }
}
