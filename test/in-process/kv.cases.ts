import { beforeAll, describe, expect, it } from 'vitest';
import type { InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';

/**
 * kv's behaviour through the dispatcher, the runtime and the read model, in one process over the
 * in-memory log, on a manual clock; declared on PGlite (kv.spec.ts) and on Postgres (kv.int.spec.ts).
 * The transport, the service surface and restarts stay in test/kv.e2e.spec.ts.
 */
export const kvCases: InProcessCases = (service) => {
  let svc: InProcessService;
  beforeAll(() => {
    svc = service();
  });

  describe('values and versions', () => {
    it('stores any JSON value and reads it back with its version and times', async () => {
      for (const [i, value] of [null, 0, 'text', [1, 'two', { three: 3 }], { nested: { deep: [true, false] } }].entries()) {
        const put = await svc.when('kv.put', { ns: 'values', key: `k${i}`, value, metadata: { source: 'test' } });
        expect(put.body).toMatchObject({ version: 1, expiresAt: null, seq: expect.any(Number) });
        expect(put.body.createdAt).toBe(put.body.updatedAt);
        expect(put.events).toMatchObject([{ type: 'kv.value_set', ns: 'values', entity: `k${i}`, seq: put.body.seq, data: { value, version: 1 } }]);
        const got = await svc.when('kv.get', { ns: 'values', key: `k${i}` });
        expect(got).toEqual({ ok: true, body: { found: true, key: `k${i}`, value, version: 1, createdAt: put.body.createdAt, updatedAt: put.body.updatedAt, expiresAt: null, metadata: { source: 'test' }, provenance: { agent: '', tokenId: put.events[0].tokenId, transport: 'in-process', seq: put.body.seq, at: put.body.updatedAt } }, events: [] });
      }
    });

    it('adds 1 to the version per write and keeps createdAt across overwrites', async () => {
      const first = await svc.ok('kv.put', { ns: 'versions', key: 'k', value: 1 });
      await svc.clock.advance(5);
      const second = await svc.ok('kv.put', { ns: 'versions', key: 'k', value: 2 });
      expect(second).toMatchObject({ version: 2, createdAt: first.createdAt });
      expect(Date.parse(second.updatedAt) - Date.parse(first.updatedAt)).toBe(5);
      expect(second.seq).toBeGreaterThan(first.seq);
    });

    it('continues the versions of a key the log already holds', async () => {
      const at = svc.clock.now().toISOString();
      await svc.given([
        { block: 'kv', ns: 'given', entity: 'k', type: 'kv.value_set', data: { value: 'old', version: 4, createdAt: at, updatedAt: at, expiresAt: null, metadata: {} } },
      ]);
      expect(await svc.ok('kv.get', { ns: 'given', key: 'k' })).toMatchObject({ value: 'old', version: 4 });
      const put = await svc.when('kv.put', { ns: 'given', key: 'k', value: 'new', ifVersion: 4 });
      expect(put).toMatchObject({ ok: true, body: { version: 5, createdAt: at }, events: [{ type: 'kv.value_set', data: { value: 'new', version: 5 } }] });
    });

    it('accepts keys with dots, spaces, wildcards, non-ASCII and 512 bytes', async () => {
      for (const key of ['a.b.c', 'with space', '*', '>', 'a.*.>', 'ünï 日本 🙂', 'é'.repeat(256), '$SYS.x']) {
        await svc.ok('kv.put', { ns: 'keys', key, value: key });
        expect(await svc.ok('kv.get', { ns: 'keys', key })).toMatchObject({ found: true, key, value: key });
      }
    });

    it('a missing key is found: false, not an error', async () => {
      expect(await svc.ok('kv.get', { ns: 'values', key: 'nope' })).toEqual({ found: false });
    });

    it('serves read-your-writes, and minSeq waits (bounded) for the read models', async () => {
      const { seq } = await svc.ok('kv.put', { ns: 'ryw', key: 'k', value: 'fresh' });
      expect(await svc.ok('kv.get', { ns: 'ryw', key: 'k', minSeq: seq })).toMatchObject({ value: 'fresh' });
      const late = await svc.when('kv.get', { ns: 'ryw', key: 'k', minSeq: seq + 1_000_000 });
      expect(late).toMatchObject({ ok: false, error: { code: 'DEADLINE_EXCEEDED' } });
    });
  });

  describe('compare-and-set', () => {
    it('ifVersion 0 creates only; a mismatch is FAILED_PRECONDITION/VERSION_MISMATCH and appends nothing', async () => {
      expect(await svc.ok('kv.put', { ns: 'cas', key: 'k', value: 'a', ifVersion: 0 })).toMatchObject({ version: 1 });
      const again = await svc.when('kv.put', { ns: 'cas', key: 'k', value: 'b', ifVersion: 0 });
      expect(again).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'VERSION_MISMATCH' }, events: [] });
      const stale = await svc.when('kv.put', { ns: 'cas', key: 'k', value: 'c', ifVersion: 7 });
      expect(stale).toMatchObject({ error: { reason: 'VERSION_MISMATCH' }, events: [] });
      expect(await svc.ok('kv.get', { ns: 'cas', key: 'k' })).toMatchObject({ value: 'a', version: 1 });
      expect(await svc.ok('kv.put', { ns: 'cas', key: 'k', value: 'd', ifVersion: 1 })).toMatchObject({ version: 2 });
    });

    it('delete reports existed, honours ifVersion, and the next put starts at version 1', async () => {
      await svc.ok('kv.put', { ns: 'del', key: 'k', value: 1 });
      await svc.ok('kv.put', { ns: 'del', key: 'k', value: 2 });
      expect(await svc.when('kv.delete', { ns: 'del', key: 'k', ifVersion: 1 })).toMatchObject({ error: { reason: 'VERSION_MISMATCH' }, events: [] });
      const deleted = await svc.when('kv.delete', { ns: 'del', key: 'k', ifVersion: 2 });
      expect(deleted).toMatchObject({ body: { existed: true, seq: expect.any(Number) }, events: [{ type: 'kv.value_deleted', entity: 'k' }] });
      expect(await svc.when('kv.delete', { ns: 'del', key: 'k' })).toMatchObject({ body: { existed: false }, events: [] });
      expect(await svc.ok('kv.get', { ns: 'del', key: 'k' })).toEqual({ found: false });
      expect(await svc.ok('kv.put', { ns: 'del', key: 'k', value: 3 })).toMatchObject({ version: 1 });
    });

    it('concurrent writers of one key all land, one version each', async () => {
      await Promise.all(Array.from({ length: 20 }, (_, c) => (async () => {
        for (let i = 0; i < 10; i++) await svc.ok('kv.put', { ns: 'contended', key: 'hot', value: { c, i } });
      })()));
      expect(await svc.ok('kv.get', { ns: 'contended', key: 'hot' })).toMatchObject({ version: 200 });
    });
  });

  describe('ttl', () => {
    it('an expired key is gone from get, mget and list, counts as version 0, and a put without ttl clears expiry', async () => {
      const put = await svc.ok('kv.put', { ns: 'ttl', key: 'short', value: 1, ttlMs: 300 });
      expect(Date.parse(put.expiresAt) - Date.parse(put.updatedAt)).toBe(300);
      await svc.ok('kv.put', { ns: 'ttl', key: 'cleared', value: 1, ttlMs: 300 });
      expect(await svc.ok('kv.put', { ns: 'ttl', key: 'cleared', value: 2 })).toMatchObject({ expiresAt: null });
      await svc.clock.advance(299);
      expect(await svc.ok('kv.get', { ns: 'ttl', key: 'short' })).toMatchObject({ found: true });
      await svc.clock.advance(1);
      expect(await svc.ok('kv.get', { ns: 'ttl', key: 'short' })).toEqual({ found: false });
      expect(await svc.ok('kv.mget', { ns: 'ttl', keys: ['short', 'cleared'] })).toMatchObject({ items: [{ key: 'cleared' }] });
      expect((await svc.ok('kv.list', { ns: 'ttl' })).items.map((i: { key: string }) => i.key)).toEqual(['cleared']);
      expect(await svc.ok('kv.put', { ns: 'ttl', key: 'short', value: 3, ifVersion: 0 })).toMatchObject({ version: 1 });
    });
  });

  describe('revert', () => {
    const revert = (body: Record<string, unknown>) => svc.when('kv.revert', { ns: 'rev', ...body });

    it('restores the value, metadata and expiry a key held at a past sequence as a new event, and history stays', async () => {
      const first = await svc.ok('kv.put', { ns: 'rev', key: 'plan', value: { step: 1 }, metadata: { by: 'planner' } });
      await svc.ok('kv.put', { ns: 'rev', key: 'other', value: 'x' });
      const second = await svc.ok('kv.put', { ns: 'rev', key: 'plan', value: { step: 2 } });
      const reverted = await revert({ key: 'plan', toSeq: second.seq - 1 });
      expect(reverted.body).toEqual({ restored: 'value', fromSeq: first.seq, version: 3, seq: expect.any(Number) });
      expect(reverted.events).toMatchObject([
        { type: 'kv.value_set', seq: reverted.body.seq, data: { value: { step: 1 }, version: 3, metadata: { by: 'planner' }, revertedTo: second.seq - 1 } },
      ]);
      expect(await svc.ok('kv.get', { ns: 'rev', key: 'plan', minSeq: reverted.body.seq })).toMatchObject({ value: { step: 1 }, version: 3, metadata: { by: 'planner' } });
      // The history is untouched: reverting to the second write brings it back.
      expect((await revert({ key: 'plan', toSeq: second.seq })).body).toMatchObject({ restored: 'value', fromSeq: second.seq, version: 4 });
      expect(await svc.ok('kv.get', { ns: 'rev', key: 'plan' })).toMatchObject({ value: { step: 2 }, version: 4 });
    });

    it('a key not yet written, deleted or expired by then is deleted; absent over absent changes nothing', async () => {
      const before = await svc.ok('kv.put', { ns: 'rev', key: 'marker', value: 0 });
      const created = await svc.ok('kv.put', { ns: 'rev', key: 'late', value: 'new' });
      const gone = await revert({ key: 'late', toSeq: before.seq });
      expect(gone.body).toEqual({ restored: 'absent', fromSeq: null, version: 0, seq: expect.any(Number) });
      expect(gone.events).toMatchObject([{ type: 'kv.value_deleted', data: { version: 1, revertedTo: before.seq } }]);
      expect(await svc.ok('kv.get', { ns: 'rev', key: 'late' })).toEqual({ found: false });
      expect(await revert({ key: 'late', toSeq: before.seq })).toMatchObject({ ok: true, body: { restored: 'absent', version: 0 }, events: [] });
      expect((await revert({ key: 'late', toSeq: created.seq })).body).toMatchObject({ restored: 'value', fromSeq: created.seq, version: 1 });

      const short = await svc.ok('kv.put', { ns: 'rev', key: 'short', value: 1, ttlMs: 300 });
      await svc.ok('kv.delete', { ns: 'rev', key: 'short' });
      expect((await revert({ key: 'short', toSeq: short.seq })).body).toMatchObject({ restored: 'value', version: 1 });
      expect(await svc.ok('kv.get', { ns: 'rev', key: 'short' })).toMatchObject({ expiresAt: short.expiresAt });
      await svc.clock.advance(300);
      expect(await revert({ key: 'short', toSeq: short.seq })).toMatchObject({ ok: true, body: { restored: 'absent', fromSeq: short.seq }, events: [] });
    });

    it('honours ifVersion, and refuses a sequence beyond the log or missing, naming the field and appending nothing', async () => {
      const put = await svc.ok('kv.put', { ns: 'rev', key: 'guarded', value: 'a' });
      await svc.ok('kv.put', { ns: 'rev', key: 'guarded', value: 'b' });
      expect(await revert({ key: 'guarded', toSeq: put.seq, ifVersion: 1 })).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'VERSION_MISMATCH' }, events: [] });
      expect(await revert({ key: 'guarded', toSeq: put.seq + 1_000_000 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect(await revert({ key: 'guarded', toSeq: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect(await revert({ key: 'guarded' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect((await revert({ key: 'guarded', toSeq: put.seq, ifVersion: 2 })).body).toMatchObject({ restored: 'value', version: 3 });
    });
  });

  describe('mget and list', () => {
    beforeAll(async () => {
      for (let i = 0; i < 25; i++) await svc.ok('kv.put', { ns: 'paging', key: `item/${String(i).padStart(2, '0')}`, value: i });
      await svc.ok('kv.put', { ns: 'paging', key: 'other', value: 'x' });
    });

    it('mget returns found keys only, sorted and de-duplicated', async () => {
      const { items } = await svc.ok('kv.mget', { ns: 'paging', keys: ['item/10', 'missing', 'item/02', 'item/10'] });
      expect(items.map((i: { key: string }) => i.key)).toEqual(['item/02', 'item/10']);
      expect(items[0]).toMatchObject({ value: 2, version: 1 });
    });

    it('pages through a prefix in key order with an exclusive startAfter', async () => {
      const seen: string[] = [];
      let startAfter: string | undefined;
      let pages = 0;
      do {
        const page = await svc.ok('kv.list', { ns: 'paging', prefix: 'item/', limit: 10, ...(startAfter ? { startAfter } : {}) });
        seen.push(...page.items.map((i: { key: string }) => i.key));
        startAfter = page.nextStartAfter ?? undefined;
        pages++;
      } while (startAfter);
      expect(pages).toBe(3);
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => `item/${String(i).padStart(2, '0')}`));
    });

    it('pages through a prefix newest key first with reverse, startAfter bounding each page from above', async () => {
      const seen: string[] = [];
      let startAfter: string | undefined;
      do {
        const page = await svc.ok('kv.list', { ns: 'paging', prefix: 'item/', limit: 10, reverse: true, ...(startAfter ? { startAfter } : {}) });
        seen.push(...page.items.map((i: { key: string }) => i.key));
        startAfter = page.nextStartAfter ?? undefined;
      } while (startAfter);
      const ascending = (await svc.ok('kv.list', { ns: 'paging', prefix: 'item/', limit: 100 })).items.map((i: { key: string }) => i.key);
      expect(seen).toEqual([...ascending].reverse());
      expect(seen).toHaveLength(25);
    });

    it('a reverse listing from a key that is not stored starts with the key just below it, within the prefix', async () => {
      const page = await svc.ok('kv.list', { ns: 'paging', prefix: 'item/', startAfter: 'item/10x', limit: 2, reverse: true, includeValues: true });
      expect(page.items.map((i: { key: string; value: unknown }) => [i.key, i.value])).toEqual([['item/10', 10], ['item/09', 9]]);
      expect(page.nextStartAfter).toBe('item/09');
      const pastPrefix = await svc.ok('kv.list', { ns: 'paging', prefix: 'item/', startAfter: 'zzz', limit: 1, reverse: true });
      expect(pastPrefix.items.map((i: { key: string }) => i.key)).toEqual(['item/24']);
    });

    it('a listing of a prefix holds exactly its keys either way, next to astral and last-code-point neighbours', async () => {
      for (const key of ['pre/a', 'pre/b', 'pre0', 'pre/\u{10FFFF}', 'pre/\u{10FFFF}x', 'pre/\u{1F600}', 'pre/\uFFFF', 'prf', 'pre'])
        await svc.ok('kv.put', { ns: 'prefix-bounds', key, value: key });
      const keys = async (body: object) => (await svc.ok('kv.list', { ns: 'prefix-bounds', ...body })).items.map((i: { key: string }) => i.key);
      const inPrefix = ['pre/a', 'pre/b', 'pre/\uFFFF', 'pre/\u{1F600}', 'pre/\u{10FFFF}', 'pre/\u{10FFFF}x'];
      expect(await keys({ prefix: 'pre/' })).toEqual(inPrefix);
      expect(await keys({ prefix: 'pre/', reverse: true })).toEqual([...inPrefix].reverse());
      expect(await keys({ prefix: 'pre/\u{10FFFF}', reverse: true })).toEqual(['pre/\u{10FFFF}x', 'pre/\u{10FFFF}']);
    });

    it('lists values only when asked', async () => {
      const without = await svc.ok('kv.list', { ns: 'paging', prefix: 'oth' });
      expect(without.items).toEqual([expect.not.objectContaining({ value: expect.anything() })]);
      const withValues = await svc.ok('kv.list', { ns: 'paging', prefix: 'oth', includeValues: true });
      expect(withValues.items).toEqual([expect.objectContaining({ key: 'other', value: 'x', version: 1 })]);
    });
  });

  describe('callers', () => {
    it('a token without the op or the namespace is PERMISSION_DENIED and appends nothing; tenants never see each other’s keys', async () => {
      await svc.ok('kv.put', { ns: 'mine', key: 'k', value: 'default tenant' });
      const readOnly = { namespaces: ['kv/mine'], ops: ['kv.get'] };
      expect(await svc.ok('kv.get', { ns: 'mine', key: 'k' }, { principal: readOnly })).toMatchObject({ value: 'default tenant' });
      expect(await svc.when('kv.put', { ns: 'mine', key: 'k', value: 1 }, { principal: readOnly })).toMatchObject({ error: { code: 'PERMISSION_DENIED' }, events: [] });
      expect(await svc.when('kv.get', { ns: 'other', key: 'k' }, { principal: readOnly })).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
      expect(await svc.when('kv.get', { ns: 'mine', key: 'k' }, { principal: null })).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });

      const other = { tenant: 'other-tenant' };
      expect(await svc.ok('kv.get', { ns: 'mine', key: 'k' }, { principal: other })).toEqual({ found: false });
      const theirs = await svc.when('kv.put', { ns: 'mine', key: 'k', value: 'theirs' }, { principal: other });
      expect(theirs).toMatchObject({ body: { version: 1 }, events: [{ tenant: 'other-tenant', entity: 'k' }] });
      expect(await svc.ok('kv.get', { ns: 'mine', key: 'k' })).toMatchObject({ value: 'default tenant', version: 1 });
    });
  });

  describe('bad input', () => {
    const big = 'x'.repeat(257 * 1024);
    const cases: [string, string, Record<string, unknown> | string, string][] = [
      ['malformed JSON', 'kv.put', '{"ns":', 'body'],
      ['a JSON array body', 'kv.put', '[1,2]', 'body'],
      ['missing ns', 'kv.put', { key: 'k', value: 1 }, 'ns'],
      ['ns with a space', 'kv.put', { ns: 'a b', key: 'k', value: 1 }, 'ns'],
      ['ns over 128 characters', 'kv.get', { ns: 'n'.repeat(129), key: 'k' }, 'ns'],
      ['empty key', 'kv.put', { ns: 'bad', key: '', value: 1 }, 'key'],
      ['key over 512 bytes', 'kv.put', { ns: 'bad', key: 'é'.repeat(257), value: 1 }, 'key'],
      ['key with NUL', 'kv.put', { ns: 'bad', key: 'a\u0000b', value: 1 }, 'key'],
      ['key with a lone surrogate', 'kv.put', '{"ns":"bad","key":"\\ud800","value":1}', 'key'],
      ['key that is a number', 'kv.put', { ns: 'bad', key: 5, value: 1 }, 'key'],
      ['missing value', 'kv.put', { ns: 'bad', key: 'k' }, 'value'],
      ['value over 256 KiB', 'kv.put', { ns: 'bad', key: 'k', value: big }, 'value'],
      ['negative ttlMs', 'kv.put', { ns: 'bad', key: 'k', value: 1, ttlMs: -5 }, 'ttlMs'],
      ['ttlMs as a string', 'kv.put', { ns: 'bad', key: 'k', value: 1, ttlMs: '100' }, 'ttlMs'],
      ['fractional ifVersion', 'kv.put', { ns: 'bad', key: 'k', value: 1, ifVersion: 1.5 }, 'ifVersion'],
      ['metadata with a number', 'kv.put', { ns: 'bad', key: 'k', value: 1, metadata: { a: 1 } }, 'metadata'],
      ['misspelled field', 'kv.put', { ns: 'bad', key: 'k', value: 1, ttl_ms: 5 }, 'ttl_ms'],
      ['empty keys list', 'kv.mget', { ns: 'bad', keys: [] }, 'keys'],
      ['bad key in list', 'kv.mget', { ns: 'bad', keys: ['ok', ''] }, 'keys'],
      ['limit 0', 'kv.list', { ns: 'bad', limit: 0 }, 'limit'],
      ['limit over 1000', 'kv.list', { ns: 'bad', limit: 1001 }, 'limit'],
      ['reverse not a boolean', 'kv.list', { ns: 'bad', reverse: 'yes' }, 'reverse'],
      ['negative minSeq', 'kv.get', { ns: 'bad', key: 'k', minSeq: -1 }, 'minSeq'],
    ];

    it.each(cases)('%s is INVALID_ARGUMENT naming the field and appends nothing', async (_name, op, body, field) => {
      const reply = await svc.when(op, body);
      expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
      expect(reply.error!.message.startsWith(`${field}:`)).toBe(true);
    });

    it('a bad Mem-Request-Id is INVALID_ARGUMENT', async () => {
      const reply = await svc.when('kv.put', { ns: 'bad', key: 'k', value: 1 }, { requestId: 'has space' });
      expect(reply).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { field: 'Mem-Request-Id' } }, events: [] });
    });
  });
};
