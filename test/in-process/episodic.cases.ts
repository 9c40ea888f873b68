import { beforeAll, describe, expect, it } from 'vitest';
import type { InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';

const cursors = (reply: { events: { cursor: number }[] }) => reply.events.map((e) => e.cursor);

/**
 * episodic's behaviour through the dispatcher, the runtime and the read model, in one process over
 * the in-memory log, on a manual clock; declared on PGlite (episodic.spec.ts) and on Postgres
 * (episodic.int.spec.ts). Many connections and the tail over NATS stay in test/episodic.e2e.spec.ts.
 */
export const episodicCases: InProcessCases = (service) => {
  let svc: InProcessService;
  const append = (ns: string, body: Record<string, unknown> = {}) => svc.ok('episodic.append', { ns, type: 'message', ...body });
  const range = (ns: string, body: Record<string, unknown> = {}) => svc.ok('episodic.range', { ns, ...body });
  beforeAll(() => {
    svc = service();
  });

  describe('append and cursors', () => {
    it('gives each namespace dense cursors from 1 and returns id, createdAt and seq', async () => {
      const a1 = await svc.when('episodic.append', { ns: 'cur-a', type: 'message', payload: { text: 'one' } });
      const a2 = await append('cur-a');
      const b1 = await append('cur-b');
      expect(a1.body).toMatchObject({ cursor: 1, deduplicated: false, id: expect.any(String), createdAt: expect.any(String), seq: expect.any(Number) });
      expect(a1.events).toMatchObject([
        { type: 'episodic.event_appended', ns: 'cur-a', seq: a1.body.seq, data: { cursor: 1, eventId: a1.body.id, type: 'message', payload: { text: 'one' }, createdAt: a1.body.createdAt } },
      ]);
      expect(a2.cursor).toBe(2);
      expect(b1.cursor).toBe(1);
    });

    it('concurrent appends get distinct, dense cursors', async () => {
      const got: number[] = [];
      await Promise.all(Array.from({ length: 20 }, async () => {
        for (let i = 0; i < 10; i++) got.push((await svc.ok('episodic.append', { ns: 'concurrent', type: 't' })).cursor);
      }));
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('a repeated dedupKey returns the original event and writes nothing', async () => {
      const first = await append('dedup', { dedupKey: 'k1', payload: 'original' });
      const again = await svc.when('episodic.append', { ns: 'dedup', type: 'message', dedupKey: 'k1', payload: 'changed' });
      expect(again).toEqual({ ok: true, body: { ...first, deduplicated: true }, events: [] });
      expect((await append('dedup', { dedupKey: 'k2' })).cursor).toBe(2);
      expect((await append('dedup', { dedupKey: '' })).cursor).toBe(3);
      expect((await append('dedup', { dedupKey: '' })).cursor).toBe(4);
      const { events } = await range('dedup');
      expect(events.map((e: { payload: unknown }) => e.payload)).toEqual(['original', null, null, null]);
    });
  });

  describe('range', () => {
    beforeAll(async () => {
      for (let i = 1; i <= 10; i++) {
        await append('range', { role: i % 2 ? 'user' : 'assistant', sessionId: i <= 5 ? 's1' : 's2', type: i % 3 ? 'message' : 'tool_call', payload: i });
        await svc.clock.advance(10);
      }
    });

    it('all bounds are exclusive and AND-ed', async () => {
      expect(cursors(await range('range', { afterCursor: 3, beforeCursor: 7 }))).toEqual([4, 5, 6]);
      expect(cursors(await range('range', { afterCursor: 3, beforeCursor: 7, role: 'user' }))).toEqual([5]);
      expect(cursors(await range('range', { sessionId: 's2', type: 'tool_call' }))).toEqual([6, 9]);
    });

    it('filters by time window, exclusive on both ends', async () => {
      const { events } = await range('range');
      const t3 = events[2].createdAt;
      const t8 = events[7].createdAt;
      const windowed = cursors(await range('range', { after: t3, before: t8 }));
      expect(windowed.every((c) => c > 3 && c < 8)).toBe(true);
      expect(windowed.length).toBeGreaterThan(0);
      // Each event was appended 10 ms after the one before it.
      expect(windowed).toEqual([4, 5, 6, 7]);
    });

    it('reverse returns newest first and limit applies after reversing', async () => {
      expect(cursors(await range('range', { reverse: true, limit: 3 }))).toEqual([10, 9, 8]);
      const page = await range('range', { limit: 4 });
      expect(cursors(page)).toEqual([1, 2, 3, 4]);
      expect(page.nextCursor).toBe(4);
      expect((await range('range', { afterCursor: 8, limit: 4 })).nextCursor).toBeNull();
    });
  });

  describe('supersedes and expire', () => {
    it('supersedes hides events from default reads; includeDeleted shows them with deletedAt; unknown ids are ignored', async () => {
      const old = await append('sup', { payload: 'v1' });
      await append('sup', { payload: 'v2', supersedes: [old.id, '00000000-0000-4000-8000-000000000000'] });
      expect((await range('sup')).events.map((e: { payload: unknown }) => e.payload)).toEqual(['v2']);
      const all = await range('sup', { includeDeleted: true });
      expect(all.events[0]).toMatchObject({ id: old.id, deletedAt: expect.any(String) });
      expect(all.events[1].deletedAt).toBeUndefined();
    });

    it('soft expire hides the oldest first up to maxRows; running it again affects nothing new', async () => {
      for (let i = 0; i < 6; i++) await append('soft');
      const first = await svc.when('episodic.expire', { ns: 'soft', beforeCursor: 5, action: 'soft', maxRows: 2 });
      expect(first).toMatchObject({ body: { affected: 2 }, events: [{ type: 'episodic.events_expired', data: { action: 'soft', cursors: [1, 2] } }] });
      expect(cursors(await range('soft'))).toEqual([3, 4, 5, 6]);
      expect(await svc.ok('episodic.expire', { ns: 'soft', beforeCursor: 5, action: 'soft', maxRows: 10 })).toMatchObject({ affected: 2 });
      expect(await svc.when('episodic.expire', { ns: 'soft', beforeCursor: 5, action: 'soft', maxRows: 10 })).toEqual({ ok: true, body: { affected: 0 }, events: [] });
      expect(cursors(await range('soft', { includeDeleted: true }))).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('hard expire removes events for good and cursors are never reused', async () => {
      for (let i = 0; i < 5; i++) await append('hard', { dedupKey: `d${i}` });
      expect(await svc.ok('episodic.expire', { ns: 'hard', beforeCursor: 6, action: 'hard', maxRows: 5 })).toMatchObject({ affected: 5 });
      expect((await range('hard', { includeDeleted: true })).events).toEqual([]);
      const next = await append('hard', { dedupKey: 'd0' });
      expect(next).toMatchObject({ cursor: 6, deduplicated: false });
    });

    it('expire by time takes events strictly before it', async () => {
      await append('bytime');
      await svc.clock.advance(20);
      const cut = svc.clock.now().toISOString();
      await svc.clock.advance(20);
      await append('bytime');
      expect(await svc.ok('episodic.expire', { ns: 'bytime', before: cut, action: 'hard', maxRows: 100 })).toMatchObject({ affected: 1 });
      expect(cursors(await range('bytime'))).toEqual([2]);
    });

    it.each([
      ['no bound', { ns: 'x', action: 'soft', maxRows: 1 }, 'beforeCursor'],
      ['no maxRows', { ns: 'x', beforeCursor: 2, action: 'soft' }, 'maxRows'],
      ['unknown action', { ns: 'x', beforeCursor: 2, action: 'purge', maxRows: 1 }, 'action'],
      ['bad time', { ns: 'x', before: 'yesterday', action: 'soft', maxRows: 1 }, 'before'],
    ])('expire with %s is INVALID_ARGUMENT', async (_n, body, field) => {
      expect(await svc.when('episodic.expire', body)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
    });

    it.each([
      ['missing type', { ns: 'x' }, 'type'],
      ['bad supersedes id', { ns: 'x', type: 't', supersedes: ['nope'] }, 'supersedes'],
      ['misspelled field', { ns: 'x', type: 't', dedup_key: 'a' }, 'dedup_key'],
      ['payload over the limit', { ns: 'x', type: 't', payload: 'x'.repeat(300 * 1024) }, 'payload'],
    ])('append with %s is INVALID_ARGUMENT and writes nothing', async (_n, body, field) => {
      expect(await svc.when('episodic.append', body)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
      expect((await range('x')).events).toEqual([]);
    });
  });

  describe('tail', () => {
    it('sends history after afterCursor, then live events, in order with no gap or duplicate, then ends', async () => {
      for (let i = 1; i <= 3; i++) await append('tail', { payload: i });
      let writer: Promise<void> | undefined;
      const { items, error } = await svc.stream('episodic.tail', { ns: 'tail', afterCursor: 1, maxEvents: 6, maxMs: 10_000 }, {
        onItem: (_item, index) => {
          if (index === 0) writer = (async () => { for (let i = 4; i <= 7; i++) await append('tail', { payload: i }); })();
        },
      });
      await writer;
      expect(error).toBeUndefined();
      expect(items.map((e) => e.cursor)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(items.map((e) => e.payload)).toEqual([2, 3, 4, 5, 6, 7]);
    });

    it('without afterCursor starts at the live edge and ends after maxMs', async () => {
      await append('edge', { payload: 'before the tail' });
      let ended = false;
      const tail = svc.stream('episodic.tail', { ns: 'edge', maxMs: 400 }).finally(() => (ended = true));
      // The tail waits on the clock for its deadline once it follows the live log (the workers sleep on it too).
      await svc.idle(1);
      await svc.clock.advance(399);
      expect(ended).toBe(false);
      await svc.clock.advance(1);
      expect(await tail).toEqual({ items: [], events: [] });
    });

    it('a tail on a namespace the token does not cover is refused before anything is sent', async () => {
      const narrow = { namespaces: ['episodic/other'], ops: ['episodic.*'] };
      const { items, error } = await svc.stream('episodic.tail', { ns: 'tail', afterCursor: 0 }, { principal: narrow });
      expect(items).toEqual([]);
      expect(error).toMatchObject({ code: 'PERMISSION_DENIED' });
    });
  });
};
