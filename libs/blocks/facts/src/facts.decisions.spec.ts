import { describe, expect, it } from 'vitest';
import type { Fact, Scope } from './facts.model';
import { gauge } from './facts.model';
import { parseFactLine } from './notation';
import { relieve } from './pressure';
import { decideTick } from './tick-decision';
import { decideWrite, pressureAfter, type WriteFact, type WriteView } from './write-decision';

const now = new Date('2026-03-01T12:00:00.000Z');
const settings = { maxChars: 1000 };
let n = 0;
const fact = (line: string, over: Partial<Fact> = {}): Fact => {
  const p = parseFactLine(line);
  return { id: `f${++n}`, type: p.type, target: p.target, content: p.content, scopeId: null, status: 'active', coldReason: null, hash: line, turn: 0, createdAt: '2026-03-01T00:00:00.000Z', lastAccessedAt: null, ...over };
};
const scope = (id: string, over: Partial<Scope> = {}): Scope => ({ id, label: id, status: 'active', currentTurn: 0, ...over });
const write = (line: string, over: Partial<WriteFact> = {}): WriteFact => ({ type: 'WriteFact', factId: 'new', newScopeId: 'new-scope', parsed: parseFactLine(line), hash: line, ...over });
const view = (over: Partial<WriteView> = {}): WriteView => ({ counted: [], duplicate: null, labelled: null, sessionScope: null, session: null, settings, ...over });
const written = (o: ReturnType<typeof decideWrite>) => {
  if (o.kind !== 'written') throw new Error('expected a write');
  return o.data;
};

describe('facts - write decisions', () => {
  it('an identical line returns the existing fact and changes nothing', () => {
    const existing = fact('D[auth]: JWT');
    expect(decideWrite(write('D[auth]: JWT'), view({ duplicate: existing }), now)).toEqual({ kind: 'duplicate', fact: existing });
  });

  it('a newer fact of the same type and target in the same scope supersedes the older', () => {
    const old = fact('D[auth]: sessions');
    const other = fact('C[auth]: must be stateless');
    const elsewhere = fact('D[auth]: cookies', { scopeId: 'billing' });
    const d = written(decideWrite(write('D[auth]: JWT'), view({ counted: [old, other, elsewhere] }), now));
    expect(d.superseded).toEqual([old.id]);
    expect(d.fact).toMatchObject({ type: 'D', target: 'auth', content: 'JWT', status: 'active', scopeId: null });
  });

  it('~[t] retires the active facts on t in its scope and the global ones', () => {
    const a = fact('C[db.id]: UUID', { scopeId: 's' });
    const b = fact('V[db.id]: serial');
    const c = fact('D[db.id]: other scope', { scopeId: 'x' });
    const d = written(decideWrite(write('~[db.id]: ids are gone', { scopeLabel: 's' }), view({ counted: [a, b, c], labelled: scope('s') }), now));
    expect(d.superseded.sort()).toEqual([a.id, b.id].sort());
  });

  it('✓[t] closes the scope it is written in; its facts go cold', () => {
    const inScope = fact('D[auth]: JWT', { scopeId: 's' });
    const global = fact('C[style]: tabs');
    const d = written(decideWrite(write('✓[auth]: merged'), view({ counted: [inScope, global], sessionScope: scope('s'), session: { id: 'sess', lastTurn: 4, activeScopeId: 's' } }), now));
    expect(d.closedScope).toBe('s');
    expect(d.cooled.sort()).toEqual([inScope.id, 'new'].sort());
    expect(d.scope).toMatchObject({ id: 's', status: 'closed' });
  });

  it('unscoped writes join the session’s open scope, and are global once it cooled', () => {
    const session = { id: 'sess', lastTurn: 3, activeScopeId: 's' };
    expect(written(decideWrite(write('V[port]: 8080', { sessionId: 'sess' }), view({ session, sessionScope: scope('s') }), now)).fact.scopeId).toBe('s');
    const cooled = written(decideWrite(write('V[port]: 8080', { sessionId: 'sess' }), view({ session, sessionScope: scope('s', { status: 'cold' }) }), now));
    expect(cooled.fact.scopeId).toBeNull();
    expect(cooled.session).toMatchObject({ activeScopeId: null });
  });

  it('writing to a cooled scope reopens it; a new label creates a scope', () => {
    expect(written(decideWrite(write('D[x]: y', { scopeLabel: 'old' }), view({ labelled: scope('old', { status: 'cold' }) }), now)).scope).toMatchObject({ id: 'old', status: 'active', change: 'reopened' });
    expect(written(decideWrite(write('D[x]: y', { scopeLabel: 'fresh' }), view(), now)).scope).toMatchObject({ id: 'new-scope', label: 'fresh', change: 'created' });
  });

  it('a write to a full store is RESOURCE_EXHAUSTED and changes nothing', () => {
    const big = Array.from({ length: 3 }, (_, i) => fact(`V[k${i}]: ${'x'.repeat(330)}`, { lastAccessedAt: now.toISOString() }));
    // every fact was used just now and none is a duplicate: relief cannot bring it under 100 %
    const tiny = { maxChars: 900 };
    expect(gauge(big, tiny).pct).toBeGreaterThanOrEqual(100);
    expect(() => decideWrite(write('D[a]: b'), view({ counted: big.map((f) => ({ ...f, status: 'cold', coldReason: 'scope' })), settings: tiny }), now)).toThrow(
      expect.objectContaining({ code: 'RESOURCE_EXHAUSTED' }),
    );
  });

  it('reports the pressure the write leaves behind', () => {
    const v = view({ counted: [fact(`V[a]: ${'x'.repeat(390)}`)] });
    const d = written(decideWrite(write('D[b]: c'), v, now));
    expect(pressureAfter(v, d)).toEqual({ pct: 40.3, level: 'ok' });
  });
});

describe('facts - pressure relief', () => {
  it('below 70 % does nothing', () => {
    expect(relieve([fact('D[a]: b')], settings, now)).toEqual({ merged: [], archived: [], pushed: [] });
  });

  it('at 70 % merges duplicates into the newest', () => {
    const older = fact(`D[a]: ${'x'.repeat(380)}`, { createdAt: '2026-01-01T00:00:00.000Z' });
    const newer = fact(`D[a]: ${'y'.repeat(380)}`, { createdAt: '2026-02-01T00:00:00.000Z' });
    expect(relieve([older, newer], settings, now).merged).toEqual([{ id: older.id, into: newer.id }]);
  });

  it('at 85 % archives cold facts of ended scopes not read for a day, which frees capacity', () => {
    const small = { maxChars: 900 };
    const stale = fact(`D[a]: ${'x'.repeat(390)}`, { status: 'cold', coldReason: 'scope', scopeId: 's', lastAccessedAt: '2026-02-01T00:00:00.000Z' });
    const fresh = fact(`D[b]: ${'y'.repeat(390)}`, { status: 'cold', coldReason: 'scope', scopeId: 's', lastAccessedAt: now.toISOString() });
    expect(gauge([stale, fresh], small).pct).toBeGreaterThanOrEqual(85);
    const r = relieve([stale, fresh], small, now);
    expect(r.archived).toEqual([stale.id]);
    expect(gauge([fresh], small).pct).toBeLessThan(85);
  });

  it('at 95 % moves the least recently used facts to cold until under 85 %', () => {
    const facts = Array.from({ length: 10 }, (_, i) => fact(`V[k${i}]: ${'x'.repeat(88)}`, { lastAccessedAt: new Date(now.getTime() - (10 - i) * 60_000).toISOString() }));
    const r = relieve(facts, settings, now);
    expect(r.pushed[0]).toBe(facts[0].id);
    const left = facts.filter((f) => !r.pushed.includes(f.id));
    expect(gauge(left, settings).pct).toBeLessThan(85);
  });
});

describe('facts - tick', () => {
  const session = { id: 'sess', lastTurn: 5, activeScopeId: 'auth' };

  it('closing words cool the session’s scope, negated ones do not', () => {
    const open = [scope('auth', { currentTurn: 5 })];
    expect(decideTick({ type: 'Tick', sessionId: 'sess', turn: 6, message: 'auth is merged' }, { session, openScopes: open, recentScopeIds: [] }).cooled).toEqual([{ scopeId: 'auth', reason: 'closing_words' }]);
    expect(decideTick({ type: 'Tick', sessionId: 'sess', turn: 6, message: 'not merged yet' }, { session, openScopes: open, recentScopeIds: [] }).cooled).toEqual([]);
  });

  it('six idle turns cool a scope, and the session forgets it', () => {
    const t = decideTick({ type: 'Tick', sessionId: 'sess', turn: 11, message: 'hello' }, { session, openScopes: [scope('auth', { currentTurn: 5 })], recentScopeIds: [] });
    expect(t.cooled).toEqual([{ scopeId: 'auth', reason: 'idle' }]);
    expect(t.session).toEqual({ id: 'sess', lastTurn: 11, activeScopeId: null });
  });

  it('three turns of writing elsewhere is a topic shift; three quiet turns are not', () => {
    const open = [scope('auth', { currentTurn: 5 }), scope('billing', { currentTurn: 8 })];
    const shifted = decideTick({ type: 'Tick', sessionId: 'sess', turn: 8, message: 'x' }, { session, openScopes: open, recentScopeIds: ['billing'] });
    expect(shifted.cooled).toEqual([{ scopeId: 'auth', reason: 'topic_shift' }]);
    expect(decideTick({ type: 'Tick', sessionId: 'sess', turn: 8, message: 'x' }, { session, openScopes: [open[0]], recentScopeIds: [] }).cooled).toEqual([]);
  });
});
