import { DeliverPolicy } from '@nats-io/jetstream';
import { decodeStoredEvent } from '@memsidecar/event-store';
import type { BlockDependencies, StreamSink } from '@memsidecar/api';
import type { EpisodicEventAppendedData } from './episodic.events';
import { EpisodicQueries, toWireEvent, wireFromAppended, type WireEvent } from './episodic.queries';

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
  sink: StreamSink;
}

const HISTORY_PAGE = 500;
const FLUSH_EVERY = 100;

/**
 * History from the read model up to the log position S0, then live events from the log after S0:
 * no gap, no duplicate, cursor order. Ends after `maxEvents` events or `maxMs`.
 */
export async function tailEvents(deps: BlockDependencies, queries: EpisodicQueries, r: TailRequest): Promise<void> {
  const deadline = Date.now() + r.maxMs;
  const s0 = await deps.store.lastSeq(r.subject);
  await deps.readModels.ready('episodic', Math.max(r.minSeq ?? 0, s0) || undefined);
  let sent = 0;
  const send = async (item: WireEvent) => {
    await r.sink(item);
    if (++sent % FLUSH_EVERY === 0) await deps.store.nc.flush();
  };

  if (r.afterCursor !== undefined) {
    let after = r.afterCursor;
    while (sent < r.maxEvents && Date.now() < deadline) {
      const page = await queries.range(r.tenant, r.ns, { afterCursor: after, maxSeq: s0 }, Math.min(HISTORY_PAGE, r.maxEvents - sent), false);
      for (const row of page) {
        await send(toWireEvent(row));
        after = Number(row.cursor);
      }
      if (page.length < HISTORY_PAGE) break;
    }
  }
  if (sent >= r.maxEvents || Date.now() >= deadline) return;

  const consumer = await deps.store.js.consumers.get(deps.store.stream, {
    filter_subjects: r.subject,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: s0 + 1,
  });
  const messages = await consumer.consume({ max_messages: 256 });
  const timer = setTimeout(() => void messages.close(), Math.max(0, deadline - Date.now()));
  try {
    for await (const m of messages) {
      const event = decodeStoredEvent(m.data, m.seq);
      if (event.type !== 'episodic.event_appended') continue;
      const d = event.data as EpisodicEventAppendedData;
      if (r.afterCursor !== undefined && d.cursor <= r.afterCursor) continue;
      await send(wireFromAppended(d));
      if (sent >= r.maxEvents) break;
    }
  } finally {
    clearTimeout(timer);
    await messages.close();
  }
}
