import { describe, expect, it } from 'vitest';
import { ManualClock, type EventEnvelope } from '@memsidecar/core';
import { eventLogContract } from './event-log.contract';
import { InMemoryEventLog } from './in-memory-event-log';

eventLogContract('in memory', async () => ({ log: new InMemoryEventLog(), close: async () => undefined }));

const envelope = (n: number): EventEnvelope => ({ id: `e${n}`, type: 'test.happened', v: 1, at: new Date().toISOString(), tenant: 't', agent: 'a', block: 'kv', ns: 'n', entity: 'k', data: { n } });

describe('in-memory event log - the duplicate window', () => {
  it('forgets a message id once its window has passed, never sooner than two minutes', async () => {
    const clock = new ManualClock();
    const log = new InMemoryEventLog({ clock, duplicateWindowMs: 1_000 });
    const first = await log.append('mem.evt.kv.t.n.k', envelope(1), { expectedLastSubjectSeq: 0, msgId: 'r' });
    await clock.advance(119_999);
    expect(await log.append('mem.evt.kv.t.n.k', envelope(2), { expectedLastSubjectSeq: first.seq, msgId: 'r' })).toEqual({ seq: first.seq, duplicate: true });
    await clock.advance(1);
    expect(await log.append('mem.evt.kv.t.n.k', envelope(2), { expectedLastSubjectSeq: first.seq, msgId: 'r' })).toEqual({ seq: 2, duplicate: false });
  });
});
