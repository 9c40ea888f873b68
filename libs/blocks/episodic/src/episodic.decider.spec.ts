import { describe, expect, it } from 'vitest';
import type { CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { episodicDecider, type AppendEvent } from './episodic.decider';
import type { EpisodicEvent } from './episodic.events';

const spec = deciderSpec(episodicDecider, expect);
const meta: CommandMeta = { now: new Date('2026-01-01T00:00:00.000Z'), tenant: 't', agent: 'a' };
const append = (over: Partial<AppendEvent> = {}): AppendEvent => ({ type: 'AppendEvent', eventId: 'e-new', eventType: 'msg', payload: { text: 'hi' }, ...over });
const appended = (cursor: number, over: Partial<Record<string, unknown>> = {}): EpisodicEvent => ({
  type: 'episodic.event_appended',
  v: 1,
  data: { cursor, eventId: `e${cursor}`, type: 'msg', payload: { text: 'hi' }, role: null, sessionId: null, metadata: null, dedupKey: null, supersedes: [], createdAt: meta.now.toISOString(), ...over },
});
const expired = (cursor: number, action: 'soft' | 'hard', cursors: number[]): EpisodicEvent => ({ type: 'episodic.events_expired', v: 1, data: { cursor, action, cursors } });

describe('episodic decider - append', () => {
  it('the first event of a namespace gets cursor 1, the next ones count up', () => {
    spec.given([]).when(append(), meta).then(appended(1, { eventId: 'e-new' }));
    spec.given([appended(1), appended(2)]).when(append(), meta).then(appended(3, { eventId: 'e-new' }));
  });

  it('never reuses a cursor, also after a hard delete of the newest events', () => {
    spec.given([appended(1), appended(2), expired(2, 'hard', [1, 2])]).when(append(), meta).then(appended(3, { eventId: 'e-new' }));
  });

  it('a dedup key already taken writes nothing', () => {
    spec.given([appended(1, { dedupKey: 'k' })]).when(append({ dedupKey: 'k', duplicateOf: { cursor: 1 } }), meta).then(null);
  });

  it('an empty dedup key is no dedup key', () => {
    spec.given([]).when(append({ dedupKey: '' }), meta).then(appended(1, { eventId: 'e-new' }));
  });

  it('keeps role, session, metadata and what it supersedes, but never itself', () => {
    spec
      .given([appended(1)])
      .when(append({ role: 'user', sessionId: 's1', metadata: { m: 'v' }, supersedes: ['e1', 'e-new'], dedupKey: 'd' }), meta)
      .then(appended(2, { eventId: 'e-new', role: 'user', sessionId: 's1', metadata: { m: 'v' }, supersedes: ['e1'], dedupKey: 'd' }));
  });
});

describe('episodic decider - expire', () => {
  it('records exactly the events the look-up selected, and keeps the last cursor', () => {
    spec
      .given([appended(1), appended(2), appended(3)])
      .when({ type: 'ExpireEvents', action: 'soft', selection: { beforeCursor: 3, maxRows: 10 }, cursors: [1, 2] }, meta)
      .then(expired(3, 'soft', [1, 2]));
  });

  it('nothing to expire is no event', () => {
    spec.given([appended(1)]).when({ type: 'ExpireEvents', action: 'hard', selection: { beforeCursor: 1, maxRows: 10 }, cursors: [] }, meta).then(null);
  });

  it('the newest event alone rebuilds the state', () => {
    const history = [appended(1), appended(2), expired(2, 'hard', [1])];
    expect(episodicDecider.evolve(episodicDecider.initialState(), history[2])).toEqual(history.reduce(episodicDecider.evolve, episodicDecider.initialState()));
  });
});
