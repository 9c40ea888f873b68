import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { factsDecider } from './facts.decider';
import type { FactRestored, FactsEvent, FactsPurged } from './facts.events';
import type { Fact, FactState } from './facts.model';
import { foldFact } from './fact-history';
import { parseFactLine } from './notation';
import type { FactWritten } from './write-decision';

const meta = { now: new Date('2026-03-01T12:00:00.000Z'), tenant: 't', agent: 'a' };
const fact = (id: string, line: string, over: Partial<Fact> = {}): Fact => {
  const p = parseFactLine(line);
  return { id, type: p.type, target: p.target, content: p.content, scopeId: null, status: 'active', coldReason: null, hash: line, turn: 0, createdAt: '2026-03-01T00:00:00.000Z', lastAccessedAt: null, ...over };
};
const stored = (seq: number, type: FactsEvent['type'], data: object) => ({ seq, type, v: 1, data }) as unknown as StoredEvent<FactsEvent>;
const noRelief = { merged: [], archived: [], pushed: [] };
const written = (seq: number, f: Fact, over: Partial<FactWritten> = {}) =>
  stored(seq, 'facts.fact_written', { fact: f, scope: null, session: null, superseded: [], closedScope: null, cooled: [], relief: noRelief, truncated: false, pressure: { pct: 1, level: 'ok' }, ...over });
const ticked = (seq: number, scopeId: string) => stored(seq, 'facts.ticked', { session: { id: 's', lastTurn: 9, activeScopeId: null }, cooled: [{ scopeId, reason: 'idle' }], turn: 9 });
const purged = (seq: number, ids: string[]) => stored(seq, 'facts.purged', { ids });
const state = (f: Fact, over: Partial<FactState> = {}): FactState => ({ ...f, supersededBy: null, ...over });

/**
 * given the namespace's events, when a revert of `id` to `toSeq` is decided on the fact as the
 * whole history left it (what the read model holds), then this event (or none).
 */
const given = (history: StoredEvent<FactsEvent>[]) => ({
  whenReverted: (id: string, toSeq: number) => ({
    then(expected: FactRestored | FactsPurged | null) {
      const past = foldFact(history.filter((e) => e.seq <= toSeq), id).past;
      const current = foldFact(history, id).past;
      expect(factsDecider.decide({ type: 'RevertFact', id, toSeq, past, view: { current } }, {}, meta)).toEqual(expected);
    },
  }),
});
const restored = (f: FactState, toSeq: number): FactRestored => ({ type: 'facts.fact_restored', v: 1, data: { fact: f, revertedTo: toSeq } });
const purge = (id: string, toSeq: number): FactsPurged => ({ type: 'facts.purged', v: 1, data: { ids: [id], revertedTo: toSeq } });

const jwt = fact('a', 'D[auth]: JWT');
const sessions = fact('b', 'D[auth]: sessions');
const oauth = fact('c', 'D[auth]: OAuth');

describe('facts - revert decisions', () => {
  it('a fact superseded twice over comes back hot, as it was when written', () => {
    const history = [written(1, jwt), written(2, sessions, { superseded: ['a'] }), written(3, oauth, { superseded: ['b'] })];
    given(history).whenReverted('a', 1).then(restored(state(jwt), 1));
    given(history).whenReverted('b', 2).then(restored(state(sessions), 2));
  });

  it('a fact purged since is written back with the tier it had, and what had replaced it', () => {
    const history = [written(1, jwt), written(2, sessions, { superseded: ['a'] }), purged(3, ['a'])];
    given(history).whenReverted('a', 2).then(restored(state(jwt, { status: 'superseded', supersededBy: 'b' }), 2));
  });

  it('scopes, pressure and merges moved it as the read model does', () => {
    const scoped = fact('a', 'D[ui]: dark', { scopeId: 's' });
    const cooledByTick = [written(1, scoped), ticked(2, 's'), written(3, fact('d', 'V[x]: 1'), { relief: { merged: [], archived: ['a'], pushed: [] } })];
    given(cooledByTick).whenReverted('a', 2).then(restored(state(scoped, { status: 'cold', coldReason: 'scope' }), 2));
    const pushed = [written(1, jwt), written(2, fact('d', 'V[x]: 1'), { relief: { merged: [], archived: [], pushed: ['a'] } }), written(3, fact('e', 'V[y]: 1'), { relief: { merged: [{ id: 'a', into: 'e' }], archived: [], pushed: [] } })];
    given(pushed).whenReverted('a', 2).then(restored(state(jwt, { status: 'cold', coldReason: 'pressure' }), 2));
    given(pushed).whenReverted('a', 1).then(restored(state(jwt), 1));
  });

  it('before the fact existed it is purged; a fact absent then and now changes nothing', () => {
    given([written(1, sessions), written(2, jwt)]).whenReverted('a', 1).then(purge('a', 1));
    given([written(1, sessions), written(2, jwt), purged(3, ['a'])]).whenReverted('a', 1).then(null);
    given([written(1, sessions)]).whenReverted('never-written', 1).then(null);
  });

  it('a fact already in the state it had changes nothing; a revert follows an earlier revert', () => {
    const history = [written(1, jwt), written(2, sessions)];
    given(history).whenReverted('a', 1).then(null);
    const reverted = [written(1, jwt), written(2, sessions, { superseded: ['a'] }), stored(3, 'facts.fact_restored', { fact: state(jwt), revertedTo: 1 })];
    given(reverted).whenReverted('a', 3).then(null);
    given(reverted).whenReverted('a', 2).then(restored(state(jwt, { status: 'superseded', supersededBy: 'b' }), 2));
  });
});
