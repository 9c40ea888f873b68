import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient, sleep } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';
const cursors = (reply: { events: { cursor: number }[] }) => reply.events.map((e) => e.cursor);

describe.each(['postgres', 'pglite'] as const)('episodic - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind);
  let client: NatsTestClient;
  const append = (ns: string, body: Record<string, unknown> = {}) => client.ok('episodic.append', { ns, type: 'message', ...body });
  beforeAll(() => {
    client = f.client;
  });

  describe('append and cursors', () => {
    it('gives each namespace dense cursors from 1 and returns id, createdAt and seq', async () => {
      const a1 = await append('cur-a', { payload: { text: 'one' } });
      const a2 = await append('cur-a');
      const b1 = await append('cur-b');
      expect(a1).toMatchObject({ cursor: 1, deduplicated: false, id: expect.any(String), createdAt: expect.any(String), seq: expect.any(Number) });
      expect(a2.cursor).toBe(2);
      expect(b1.cursor).toBe(1);
    });

    it('1000 concurrent appends from 20 clients get 1000 distinct, dense cursors', async () => {
      const clients = await Promise.all(Array.from({ length: 20 }, () => NatsTestClient.connect(f.nats.url, f.service.adminToken())));
      const got: number[] = [];
      try {
        await Promise.all(
          clients.map(async (c) => {
            for (let i = 0; i < 50; i++) got.push((await c.ok('episodic.append', { ns: 'concurrent', type: 't' }, { timeoutMs: 30_000 })).cursor);
          }),
        );
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
      expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    });

    it('a repeated dedupKey returns the original event and writes nothing', async () => {
      const first = await append('dedup', { dedupKey: 'k1', payload: 'original' });
      const again = await append('dedup', { dedupKey: 'k1', payload: 'changed' });
      expect(again).toEqual({ ...first, deduplicated: true });
      expect((await append('dedup', { dedupKey: 'k2' })).cursor).toBe(2);
      expect((await append('dedup', { dedupKey: '' })).cursor).toBe(3);
      expect((await append('dedup', { dedupKey: '' })).cursor).toBe(4);
      const { events } = await client.ok('episodic.range', { ns: 'dedup' });
      expect(events.map((e: { payload: unknown }) => e.payload)).toEqual(['original', null, null, null]);
    });
  });

  describe('range', () => {
    beforeAll(async () => {
      for (let i = 1; i <= 10; i++) {
        await append('range', { role: i % 2 ? 'user' : 'assistant', sessionId: i <= 5 ? 's1' : 's2', type: i % 3 ? 'message' : 'tool_call', payload: i });
      }
    });

    it('all bounds are exclusive and AND-ed', async () => {
      expect(cursors(await client.ok('episodic.range', { ns: 'range', afterCursor: 3, beforeCursor: 7 }))).toEqual([4, 5, 6]);
      expect(cursors(await client.ok('episodic.range', { ns: 'range', afterCursor: 3, beforeCursor: 7, role: 'user' }))).toEqual([5]);
      expect(cursors(await client.ok('episodic.range', { ns: 'range', sessionId: 's2', type: 'tool_call' }))).toEqual([6, 9]);
    });

    it('filters by time window, exclusive on both ends', async () => {
      const { events } = await client.ok('episodic.range', { ns: 'range' });
      const t3 = events[2].createdAt;
      const t8 = events[7].createdAt;
      const windowed = cursors(await client.ok('episodic.range', { ns: 'range', after: t3, before: t8 }));
      expect(windowed.every((c) => c > 3 && c < 8)).toBe(true);
      expect(windowed.length).toBeGreaterThan(0);
    });

    it('reverse returns newest first and limit applies after reversing', async () => {
      expect(cursors(await client.ok('episodic.range', { ns: 'range', reverse: true, limit: 3 }))).toEqual([10, 9, 8]);
      const page = await client.ok('episodic.range', { ns: 'range', limit: 4 });
      expect(cursors(page)).toEqual([1, 2, 3, 4]);
      expect(page.nextCursor).toBe(4);
      expect((await client.ok('episodic.range', { ns: 'range', afterCursor: 8, limit: 4 })).nextCursor).toBeNull();
    });
  });

  describe('supersedes and expire', () => {
    it('supersedes hides events from default reads; includeDeleted shows them with deletedAt; unknown ids are ignored', async () => {
      const old = await append('sup', { payload: 'v1' });
      await append('sup', { payload: 'v2', supersedes: [old.id, '00000000-0000-4000-8000-000000000000'] });
      expect((await client.ok('episodic.range', { ns: 'sup' })).events.map((e: { payload: unknown }) => e.payload)).toEqual(['v2']);
      const all = await client.ok('episodic.range', { ns: 'sup', includeDeleted: true });
      expect(all.events[0]).toMatchObject({ id: old.id, deletedAt: expect.any(String) });
      expect(all.events[1].deletedAt).toBeUndefined();
    });

    it('soft expire hides the oldest first up to maxRows; running it again affects nothing new', async () => {
      for (let i = 0; i < 6; i++) await append('soft');
      expect(await client.ok('episodic.expire', { ns: 'soft', beforeCursor: 5, action: 'soft', maxRows: 2 })).toMatchObject({ affected: 2 });
      expect(cursors(await client.ok('episodic.range', { ns: 'soft' }))).toEqual([3, 4, 5, 6]);
      expect(await client.ok('episodic.expire', { ns: 'soft', beforeCursor: 5, action: 'soft', maxRows: 10 })).toMatchObject({ affected: 2 });
      expect(await client.ok('episodic.expire', { ns: 'soft', beforeCursor: 5, action: 'soft', maxRows: 10 })).toEqual({ affected: 0 });
      expect(cursors(await client.ok('episodic.range', { ns: 'soft', includeDeleted: true }))).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('hard expire removes events for good and cursors are never reused', async () => {
      for (let i = 0; i < 5; i++) await append('hard', { dedupKey: `d${i}` });
      expect(await client.ok('episodic.expire', { ns: 'hard', beforeCursor: 6, action: 'hard', maxRows: 5 })).toMatchObject({ affected: 5 });
      expect((await client.ok('episodic.range', { ns: 'hard', includeDeleted: true })).events).toEqual([]);
      const next = await append('hard', { dedupKey: 'd0' });
      expect(next).toMatchObject({ cursor: 6, deduplicated: false });
    });

    it('expire by time takes events strictly before it', async () => {
      await append('bytime');
      await sleep(20);
      const cut = new Date().toISOString();
      await sleep(20);
      await append('bytime');
      expect(await client.ok('episodic.expire', { ns: 'bytime', before: cut, action: 'hard', maxRows: 100 })).toMatchObject({ affected: 1 });
      expect(cursors(await client.ok('episodic.range', { ns: 'bytime' }))).toEqual([2]);
    });

    it.each([
      ['no bound', { ns: 'x', action: 'soft', maxRows: 1 }, 'beforeCursor'],
      ['no maxRows', { ns: 'x', beforeCursor: 2, action: 'soft' }, 'maxRows'],
      ['unknown action', { ns: 'x', beforeCursor: 2, action: 'purge', maxRows: 1 }, 'action'],
      ['bad time', { ns: 'x', before: 'yesterday', action: 'soft', maxRows: 1 }, 'before'],
    ])('expire with %s is INVALID_ARGUMENT', async (_n, body, field) => {
      expect((await client.call('episodic.expire', body)).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field } });
    });

    it.each([
      ['missing type', { ns: 'x' }, 'type'],
      ['bad supersedes id', { ns: 'x', type: 't', supersedes: ['nope'] }, 'supersedes'],
      ['misspelled field', { ns: 'x', type: 't', dedup_key: 'a' }, 'dedup_key'],
      ['payload over the limit', { ns: 'x', type: 't', payload: 'x'.repeat(300 * 1024) }, 'payload'],
    ])('append with %s is INVALID_ARGUMENT and writes nothing', async (_n, body, field) => {
      expect((await client.call('episodic.append', body)).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field } });
      expect((await client.ok('episodic.range', { ns: 'x' })).events).toEqual([]);
    });
  });

  describe('tail', () => {
    it('sends history after afterCursor, then live events, in order with no gap or duplicate, then Mem-End', async () => {
      for (let i = 1; i <= 3; i++) await append('tail', { payload: i });
      let writer: Promise<void> | undefined;
      const { items } = await client.stream('episodic.tail', { ns: 'tail', afterCursor: 1, maxEvents: 6, maxMs: 10_000 }, {
        onItem: (_item, index) => {
          if (index === 0) writer = (async () => { for (let i = 4; i <= 7; i++) await append('tail', { payload: i }); })();
        },
      });
      await writer;
      expect(items.map((e) => e.cursor)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(items.map((e) => e.payload)).toEqual([2, 3, 4, 5, 6, 7]);
    });

    it('without afterCursor starts at the live edge and ends after maxMs', async () => {
      const started = Date.now();
      const { items } = await client.stream('episodic.tail', { ns: 'tail', maxMs: 400 });
      expect(items).toEqual([]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    });

    it('a tail on a namespace the token does not cover is refused before anything is sent', async () => {
      const narrow = client.withToken(f.service.token({ tenant: 'default', namespaces: ['episodic/other'], ops: ['episodic.*'] }));
      const { items, error } = await narrow.stream('episodic.tail', { ns: 'tail', afterCursor: 0 });
      expect(items).toEqual([]);
      expect(error).toMatchObject({ code: 'PERMISSION_DENIED' });
    });
  });
});
