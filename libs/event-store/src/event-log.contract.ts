import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject, isMemError, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { ConcurrencyConflict, type EventLog } from './event-log';

export interface OpenedLog {
  /** An empty log with the prefix `mem`. */
  log: EventLog;
  close(): Promise<void>;
}

let entities = 0;
/** A subject no other case of the suite writes to. */
const freshEntity = (): string => `e${++entities}`;
const subjectOf = (entity: string, block: 'kv' | 'lease' = 'kv') => aggregateSubject('mem', { block, tenant: 't', ns: 'n', entity });

const envelope = (entity: string, n: number, block: 'kv' | 'lease' = 'kv'): EventEnvelope => ({
  id: `${entity}-${n}`,
  type: 'test.happened',
  v: 1,
  at: new Date().toISOString(),
  tenant: 't',
  agent: 'a',
  block,
  ns: 'n',
  entity,
  data: { n },
});

const numbers = (events: StoredEvent[]) => events.map((e) => (e.data as { n: number }).n);

async function collect(events: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const e of events) all.push(e);
  return all;
}

/** Appends `count` events to a fresh subject, numbered from 0; their sequences. */
async function appendMany(log: EventLog, entity: string, count: number, block: 'kv' | 'lease' = 'kv'): Promise<number[]> {
  const seqs: number[] = [];
  for (let n = 0; n < count; n++) {
    const { seq } = await log.append(subjectOf(entity, block), envelope(entity, n, block), { expectedLastSubjectSeq: seqs.at(-1) ?? 0 });
    seqs.push(seq);
  }
  return seqs;
}

const until = async (condition: () => boolean, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** What every adapter of `EventLog` must do alike; run once per adapter. */
export function eventLogContract(kind: string, open: () => Promise<OpenedLog>): void {
  describe(`event log contract - ${kind}`, () => {
    let opened: OpenedLog;
    let log: EventLog;
    beforeAll(async () => {
      opened = await open();
      log = opened.log;
    });
    afterAll(() => opened?.close());

    describe('append', () => {
      it('numbers events in order, and refuses a stale expectation with ConcurrencyConflict, writing nothing', async () => {
        const entity = freshEntity();
        const subject = subjectOf(entity);
        const [first, second] = await appendMany(log, entity, 2);
        expect(second).toBeGreaterThan(first);
        const end = await log.lastSeq('mem.evt.>');
        for (const stale of [0, first, second + 1]) {
          const refused = await log.append(subject, envelope(entity, 9), { expectedLastSubjectSeq: stale }).catch((e) => e);
          expect(refused).toBeInstanceOf(ConcurrencyConflict);
          expect(refused).toMatchObject({ subject, expectedSeq: stale });
        }
        expect(await log.lastSeq('mem.evt.>')).toBe(end);
        expect(await log.append(subject, envelope(entity, 2), { expectedLastSubjectSeq: second })).toEqual({ seq: end + 1, duplicate: false });
      });

      it('expects the last sequence of the subject itself, not of the log', async () => {
        const [a, b] = [freshEntity(), freshEntity()];
        const [onA] = await appendMany(log, a, 1);
        await appendMany(log, b, 3);
        await expect(log.append(subjectOf(a), envelope(a, 1), { expectedLastSubjectSeq: onA })).resolves.toMatchObject({ duplicate: false });
      });

      it('of ten writers expecting the same sequence, exactly one wins', async () => {
        const entity = freshEntity();
        const [first] = await appendMany(log, entity, 1);
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => log.append(subjectOf(entity), envelope(entity, i + 1), { expectedLastSubjectSeq: first })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) expect(r.reason).toBeInstanceOf(ConcurrencyConflict);
      });

      it('a subject outside the log is UNAVAILABLE', async () => {
        const refused = await log.append('elsewhere.evt.kv.t.n.x', envelope('x', 0), { expectedLastSubjectSeq: 0 }).catch((e) => e);
        expect(isMemError(refused) && refused.code).toBe('UNAVAILABLE');
      });
    });

    describe('message ids', () => {
      it('a repeated id is stored once and answers with the original sequence, whatever it expects and wherever it goes', async () => {
        const [entity, other] = [freshEntity(), freshEntity()];
        const msgId = `${entity}-request`;
        const original = await log.append(subjectOf(entity), envelope(entity, 1), { expectedLastSubjectSeq: 0, msgId });
        const end = await log.lastSeq('mem.evt.>');
        expect(await log.append(subjectOf(entity), envelope(entity, 2), { expectedLastSubjectSeq: 0, msgId })).toEqual({ seq: original.seq, duplicate: true });
        expect(await log.append(subjectOf(entity), envelope(entity, 3), { expectedLastSubjectSeq: 12345, msgId })).toEqual({ seq: original.seq, duplicate: true });
        expect(await log.append(subjectOf(other), envelope(other, 4), { expectedLastSubjectSeq: 0, msgId })).toEqual({ seq: original.seq, duplicate: true });
        expect(await log.lastSeq('mem.evt.>')).toBe(end);
        expect(numbers([(await log.last(subjectOf(entity)))!])).toEqual([1]);
      });

      it('an id whose append was refused is not remembered', async () => {
        const entity = freshEntity();
        const msgId = `${entity}-request`;
        const [first] = await appendMany(log, entity, 1);
        await expect(log.append(subjectOf(entity), envelope(entity, 1), { expectedLastSubjectSeq: 0, msgId })).rejects.toBeInstanceOf(ConcurrencyConflict);
        expect(await log.append(subjectOf(entity), envelope(entity, 1), { expectedLastSubjectSeq: first, msgId })).toMatchObject({ duplicate: false });
      });
    });

    describe('point reads', () => {
      it('last and lastSeq: the newest event on a subject or a filter with * or >, null and 0 for none', async () => {
        const [a, b] = [freshEntity(), freshEntity()];
        const onA = await appendMany(log, a, 3);
        const onB = await appendMany(log, b, 2, 'lease');
        expect(await log.last(subjectOf(a))).toMatchObject({ seq: onA[2], entity: a, data: { n: 2 } });
        expect(await log.lastSeq(subjectOf(a))).toBe(onA[2]);
        expect(await log.lastSeq(`mem.evt.*.t.n.${a}`)).toBe(onA[2]);
        expect(await log.lastSeq(`mem.evt.*.t.n.${b}`)).toBe(onB[1]);
        expect(await log.last('mem.evt.lease.>')).toMatchObject({ seq: onB[1], entity: b });
        expect(await log.lastSeq('mem.evt.>')).toBe(onB[1]);
        expect(await log.last(subjectOf(freshEntity()))).toBeNull();
        expect(await log.lastSeq(subjectOf(freshEntity()))).toBe(0);
        expect(await log.lastSeq(`mem.evt.*.nobody.>`)).toBe(0);
      });

      it('at: the whole envelope with its sequence, null past the end; every read is a copy of its own', async () => {
        const entity = freshEntity();
        const [seq] = await appendMany(log, entity, 1);
        const read = await log.at(seq);
        expect(read).toEqual({ ...envelope(entity, 0), at: expect.any(String), seq });
        (read!.data as { n: number }).n = 99;
        expect(numbers([(await log.at(seq))!])).toEqual([0]);
        expect(await log.at(seq + 1_000)).toBeNull();
      });
    });

    describe('read', () => {
      it('reads in order from a sequence, through a filter, up to the end as it was when the read began', async () => {
        const [a, b] = [freshEntity(), freshEntity()];
        const onA = await appendMany(log, a, 4);
        await appendMany(log, b, 2);
        expect(numbers(await collect(log.read({ filter: subjectOf(a), fromSeq: onA[1] })))).toEqual([1, 2, 3]);
        expect((await collect(log.read({ filter: `mem.evt.kv.t.n.*`, fromSeq: onA[0] }))).map((e) => e.entity)).toEqual([a, a, a, a, b, b]);
        expect(await collect(log.read({ filter: subjectOf(a), fromSeq: onA[3] + 1_000 }))).toEqual([]);
        expect(await collect(log.read({ filter: subjectOf(freshEntity()) }))).toEqual([]);

        const seen: StoredEvent[] = [];
        for await (const e of log.read({ filter: subjectOf(a) })) {
          if (seen.length === 0) await log.append(subjectOf(a), envelope(a, 4), { expectedLastSubjectSeq: onA[3] });
          seen.push(e);
        }
        expect(numbers(seen)).toEqual([0, 1, 2, 3]);
      });

      it('delivers nothing after its signal aborts', async () => {
        const entity = freshEntity();
        await appendMany(log, entity, 5);
        const abort = new AbortController();
        const seen: StoredEvent[] = [];
        for await (const e of log.read({ filter: subjectOf(entity), signal: abort.signal })) {
          seen.push(e);
          if (seen.length === 2) abort.abort();
        }
        expect(numbers(seen)).toEqual([0, 1]);
      });
    });

    describe('subscribe', () => {
      it('delivers the history from a sequence, then each event as it is appended, in order, only through its filter', async () => {
        const [entity, other] = [freshEntity(), freshEntity()];
        const seqs = await appendMany(log, entity, 3);
        const abort = new AbortController();
        const subscription = log.subscribe({ filter: subjectOf(entity), fromSeq: seqs[1], signal: abort.signal, name: 'contract' });
        const seen: StoredEvent[] = [];
        const loop = (async () => {
          for await (const e of subscription) {
            seen.push(e);
            if (seen.length === 5) abort.abort();
          }
        })();
        await until(() => seen.length === 2);
        let [last, lastOther] = [seqs[2], 0];
        for (let n = 3; n < 6; n++) {
          lastOther = (await log.append(subjectOf(other), envelope(other, n), { expectedLastSubjectSeq: lastOther })).seq;
          last = (await log.append(subjectOf(entity), envelope(entity, n), { expectedLastSubjectSeq: last })).seq;
        }
        await loop;
        expect(numbers(seen)).toEqual([1, 2, 3, 4, 5]);
        expect(seen.map((e) => e.seq)).toEqual([...seen.map((e) => e.seq)].sort((x, y) => x - y));
        expect(subscription.logEnd).toBeGreaterThanOrEqual(seen[3].seq);
        expect(subscription.impairment).toBeNull();
      });

      it('tells how many events are pending behind the one delivered', async () => {
        const entity = freshEntity();
        const seqs = await appendMany(log, entity, 3);
        const abort = new AbortController();
        const subscription = log.subscribe({ filter: subjectOf(entity), fromSeq: seqs[0], signal: abort.signal });
        const pending: number[] = [];
        for await (const _ of subscription) {
          pending.push(subscription.pending);
          if (pending.length === 3) abort.abort();
        }
        expect(pending).toEqual([2, 1, 0]);
      });

      it('ends when its signal aborts while it waits, and when the loop is left', async () => {
        const entity = freshEntity();
        await appendMany(log, entity, 1);
        const abort = new AbortController();
        const seen: StoredEvent[] = [];
        const loop = (async () => {
          for await (const e of log.subscribe({ filter: subjectOf(entity), fromSeq: 1, signal: abort.signal })) seen.push(e);
        })();
        await until(() => seen.length === 1);
        abort.abort();
        await loop;
        expect(numbers(seen)).toEqual([0]);

        for await (const e of log.subscribe({ filter: subjectOf(entity), fromSeq: 1 })) {
          expect(numbers([e])).toEqual([0]);
          break;
        }
      });

      it('a slow loop holds delivery back without losing or repeating an event', async () => {
        const entity = freshEntity();
        const seqs = await appendMany(log, entity, 20);
        const abort = new AbortController();
        const seen: number[] = [];
        for await (const e of log.subscribe({ filter: subjectOf(entity), fromSeq: seqs[0], signal: abort.signal, batch: 4 })) {
          if (seen.length % 5 === 0) await new Promise((r) => setTimeout(r, 30));
          seen.push((e.data as { n: number }).n);
          if (seen.length === 20) abort.abort();
        }
        expect(seen).toEqual(Array.from({ length: 20 }, (_, n) => n));
      });
    });
  });
}
