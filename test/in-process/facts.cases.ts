import { beforeAll, describe, expect, it } from 'vitest';
import { countTokens } from '@memsidecar/facts';
import type { InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';

/**
 * facts' behaviour through the dispatcher, the runtime and the read model, in one process over the
 * in-memory log, on a manual clock; declared on PGlite (facts.spec.ts) and on Postgres
 * (facts.int.spec.ts). Rebuilding the read model from the log stays in test/facts.e2e.spec.ts.
 */
export const factsCases: InProcessCases = (service) => {
  let svc: InProcessService;
  beforeAll(() => {
    svc = service();
  });
  const write = (ns: string, content: string, more: Record<string, unknown> = {}) => svc.ok('facts.write', { ns, content, ...more });
  const search = (ns: string, query: string, more: Record<string, unknown> = {}) => svc.ok('facts.search', { ns, query, ...more }).then((r) => r.facts);

  describe('writing', () => {
    it('stores notation lines, refuses anything else with the expected form, and cuts long content', async () => {
      const stored = await svc.when('facts.write', { ns: 'n1', content: 'C[db.id]: UUID mndtry, nvr autoincrement' });
      expect(stored.body).toMatchObject({ status: 'stored', type: 'C', target: 'db.id', truncated: false, pressure: { level: 'ok' } });
      expect(stored.events).toMatchObject([{ type: 'facts.fact_written', ns: 'n1', seq: stored.body.seq }]);
      const bad = await svc.when('facts.write', { ns: 'n1', content: 'the database uses UUIDs' });
      expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'content' } }, events: [] });
      expect(bad.error!.message).toContain('T[target]: content');
      const long = await write('n1', `V[blob]: ${'x'.repeat(600)}`);
      expect(long).toMatchObject({ truncated: true, warnings: expect.arrayContaining([expect.stringContaining('400')]) });
      expect((await svc.ok('facts.export', { ns: 'n1' })).lines).toHaveLength(2);
    });

    it('an identical line is a duplicate; a newer fact on the same type and target supersedes', async () => {
      const first = await write('n2', 'D[auth]: sessions in cookies');
      const duplicate = await svc.when('facts.write', { ns: 'n2', content: 'D[auth]: sessions in cookies' });
      expect(duplicate).toMatchObject({ body: { id: first.id, status: 'duplicate' }, events: [] });
      const second = await write('n2', 'D[auth]: JWT, 7 day refresh');
      expect(second.superseded).toEqual([first.id]);
      expect((await search('n2', 'auth')).map((x: { content: string }) => x.content)).toEqual(['JWT, 7 day refresh']);
    });

    it('~[t] retires the facts on t; ✓[t] closes the scope it is written in', async () => {
      await write('n3', 'C[cache]: must be redis', { scope: 'perf' });
      const retired = await write('n3', '~[cache]: redis dropped', { scope: 'perf' });
      expect(retired.superseded).toHaveLength(1);
      await write('n3', 'D[login]: magic links', { scope: 'auth-work' });
      const done = await write('n3', '✓[login]: merged', { scope: 'auth-work' });
      expect(done.scope).toBe('auth-work');
      const found = await search('n3', 'login');
      expect(found.every((x: { tier: string }) => x.tier === 'cold')).toBe(true);
    });
  });

  describe('search', () => {
    it('identifier words match as prefixes, others as phrases, AND-ed; unknown scope is NOT_FOUND', async () => {
      await write('n4', 'V[auth.jwt]: secret rotates weekly');
      await write('n4', 'V[srv.prod]: api.example.com:3005');
      await write('n4', 'C[auth.session]: stateless');
      expect((await search('n4', 'auth')).length).toBe(2);
      expect((await search('n4', 'auth stateless')).map((x: { target: string }) => x.target)).toEqual(['auth.session']);
      expect((await search('n4', 'srv.prod')).map((x: { target: string }) => x.target)).toEqual(['srv.prod']);
      expect(await svc.when('facts.search', { ns: 'n4', query: 'auth', scope: 'nope' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' }, events: [] });
      expect(await svc.when('facts.search', { ns: 'n4', query: 'auth', limit: 21 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'limit' } }, events: [] });
    });
  });

  describe('scopes and turns', () => {
    it('tick: closing words cool the session’s scope unless negated; six idle turns cool too', async () => {
      await write('n5', 'D[ui]: dark mode', { scope: 'theme', sessionId: 's1' });
      expect((await svc.ok('facts.tick', { ns: 'n5', sessionId: 's1', turn: 1, message: 'not merged yet' })).cooled).toEqual([]);
      const merged = await svc.when('facts.tick', { ns: 'n5', sessionId: 's1', turn: 2, message: 'theme is merged' });
      expect(merged.body.cooled).toEqual(['theme']);
      expect(merged.events).toMatchObject([{ type: 'facts.ticked', data: { turn: 2 } }]);
      const unscoped = await write('n5', 'V[port]: 8080', { sessionId: 's1' });
      expect(unscoped.scope).toBeNull();
      await write('n5', 'D[api]: rest', { scope: 'api', sessionId: 's1' });
      expect((await svc.ok('facts.tick', { ns: 'n5', sessionId: 's1', turn: 9, message: 'hello' })).cooled).toEqual(['api']);
      const reopened = await write('n5', 'D[ui]: light mode too', { scope: 'theme', sessionId: 's1' });
      expect(reopened.scope).toBe('theme');
    });
  });

  describe('status and pressure', () => {
    it('status returns the prompt block within 180 tokens, also with 500 hot facts', async () => {
      const empty = await svc.ok('facts.status', { ns: 'n6' });
      expect(empty.block).toContain('MEMORY_SPEC');
      for (let i = 0; i < 500; i++) await write('n6', `V[k${i}]: ${i}`);
      const status = await svc.ok('facts.status', { ns: 'n6' });
      expect(status.hot).toBe(500);
      expect(status.tokens).toBeLessThanOrEqual(180);
      expect(countTokens(status.block)).toBe(status.tokens);
      expect(status.block).toMatch(/\+\d+ more/);
    }, 120_000);

    it('the gauge rises with writes, and at 95 % the least recently used facts move to cold', async () => {
      const levels = new Set<string>();
      let moved = false;
      for (let i = 0; i < 100; i++) {
        // One write per millisecond: least recently used is then the order they were written in.
        await svc.clock.advance(1);
        const reply = await write('n8', `V[key${i}]: ${'v'.repeat(100)}`);
        levels.add(reply.pressure.level);
        moved ||= reply.warnings.some((w: string) => w.includes('to cold'));
      }
      // Replies report the gauge after relief: it climbs through the levels, and at 95 % relief takes it back under 85 %.
      expect([...levels].sort()).toEqual(['archive', 'merge', 'ok']);
      expect(moved).toBe(true);
      const status = await svc.ok('facts.status', { ns: 'n8' });
      expect(status.pressure.pct).toBeLessThan(95);
      expect(status.cold).toBeGreaterThan(0);
      expect((await search('n8', 'key0')).map((x: { tier: string }) => x.tier)).toEqual(['cold']);
    }, 120_000);
  });

  describe('revert', () => {
    const revert = (body: Record<string, unknown>) => svc.when('facts.revert', { ns: 'rev', ...body });
    const lines = async () => (await svc.ok('facts.export', { ns: 'rev' })).lines;

    it('a fact superseded and then purged comes back as it was first written, as a new event; history stays', async () => {
      const first = await write('rev', 'D[auth]: sessions in cookies');
      const second = await write('rev', 'D[auth]: JWT, 7 day refresh');
      expect(second.superseded).toEqual([first.id]);
      const purged = await svc.ok('facts.purge', { ns: 'rev' });
      expect(purged.purged).toBe(1);
      const reverted = await revert({ id: first.id, toSeq: first.seq });
      expect(reverted.body).toEqual({ restored: 'fact', fromSeq: first.seq, tier: 'hot', line: 'D[auth]: sessions in cookies', seq: expect.any(Number) });
      expect(reverted.events).toMatchObject([
        { type: 'facts.fact_restored', seq: reverted.body.seq, data: { fact: { id: first.id, status: 'active', supersededBy: null }, revertedTo: first.seq } },
      ]);
      expect((await search('rev', 'auth')).map((f: { id: string; tier: string }) => [f.id, f.tier]).sort()).toEqual([[first.id, 'hot'], [second.id, 'hot']].sort());
      // Reverting to the moment it was replaced puts it back among the superseded, named by what replaced it.
      const again = await revert({ id: first.id, toSeq: second.seq });
      expect(again.body).toMatchObject({ restored: 'fact', fromSeq: second.seq, tier: 'superseded' });
      expect(again.events).toMatchObject([{ type: 'facts.fact_restored', data: { fact: { status: 'superseded', supersededBy: second.id }, revertedTo: second.seq } }]);
      expect(await lines()).toEqual(['D[auth]: JWT, 7 day refresh']);
    });

    it('a fact not yet written by then is purged; absent over absent, or a fact already as it was, appends nothing', async () => {
      const before = await write('rev', 'V[marker]: 0');
      const late = await write('rev', 'V[late]: written afterwards');
      const gone = await revert({ id: late.id, toSeq: before.seq });
      expect(gone.body).toEqual({ restored: 'absent', fromSeq: null, seq: expect.any(Number) });
      expect(gone.events).toMatchObject([{ type: 'facts.purged', data: { ids: [late.id], revertedTo: before.seq } }]);
      expect(await lines()).not.toContain('V[late]: written afterwards');
      expect(await revert({ id: late.id, toSeq: before.seq })).toEqual({ ok: true, body: { restored: 'absent', fromSeq: null }, events: [] });
      expect(await revert({ id: before.id, toSeq: late.seq })).toEqual({ ok: true, body: { restored: 'fact', fromSeq: before.seq, tier: 'hot', line: 'V[marker]: 0' }, events: [] });
    });

    it('a fact cooled with its scope comes back cold, and the scope stays as it is now', async () => {
      const scoped = await write('rev', 'D[ui]: dark mode', { scope: 'theme' });
      const done = await write('rev', '✓[ui]: shipped', { scope: 'theme' });
      expect((await revert({ id: scoped.id, toSeq: scoped.seq })).body).toMatchObject({ restored: 'fact', tier: 'hot' });
      expect((await revert({ id: scoped.id, toSeq: done.seq })).body).toMatchObject({ restored: 'fact', fromSeq: done.seq, tier: 'cold' });
      expect((await search('rev', 'dark')).map((f: { tier: string; scope: string }) => [f.tier, f.scope])).toEqual([['cold', 'theme']]);
    });

    it('refuses a sequence beyond the log, none, or a malformed id, naming the field and appending nothing', async () => {
      const fact = await write('rev', 'C[limits]: 10 per second');
      expect(await revert({ id: fact.id, toSeq: 10_000_000 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect(await revert({ id: fact.id, toSeq: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect(await revert({ id: fact.id })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect(await revert({ id: 'not an id', toSeq: fact.seq })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'id' } }, events: [] });
    });
  });

  describe('reflect, export and purge', () => {
    it('reflect groups by type; export and purge follow the rules', async () => {
      await write('n7', 'C[deploy]: blue green only');
      await write('n7', 'D[deploy]: argo');
      await write('n7', 'D[deploy]: flux');
      await write('n7', '?[deploy]: canary?');
      const r = await svc.ok('facts.reflect', { ns: 'n7', topic: 'deploy' });
      expect(r.groups.constraints).toHaveLength(1);
      expect(r.groups.decisions.map((x: { content: string }) => x.content)).toEqual(['flux']);
      expect(r.groups.unknowns).toHaveLength(1);
      expect(await svc.when('facts.purge', { ns: 'n7', olderThanDays: 1 })).toEqual({ ok: true, body: { purged: 0 }, events: [] });
      const purged = await svc.when('facts.purge', { ns: 'n7' });
      expect(purged.body.purged).toBe(1);
      expect(purged.events).toMatchObject([{ type: 'facts.purged', ns: 'n7', data: { ids: [expect.any(String)] } }]);
      expect((await svc.ok('facts.export', { ns: 'n7' })).lines).toHaveLength(3);
    });
  });
};
