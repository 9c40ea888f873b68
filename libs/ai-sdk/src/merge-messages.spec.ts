import { describe, expect, it } from 'vitest';
import { messageHash } from './chat-index';
import { mergeMessages } from './merge-messages';

const v = (id: string, hash = 'h') => ({ id, hash });
const outcome = (merged: ReturnType<typeof mergeMessages>) => merged.map((m) => `${m.id}:${'ours' in m.from ? 'ours' : 'theirs'}`);

describe('merge messages - a save merged into what another writer stored', () => {
  it('keeps the stored order and appends the messages only this save has, in its order', () => {
    expect(outcome(mergeMessages([v('a'), v('b'), v('x')], [v('a'), v('b'), v('c'), v('d')]))).toEqual(['a:theirs', 'b:theirs', 'x:theirs', 'c:ours', 'd:ours']);
  });

  it('a message both have with different content takes this save version: last writer wins per message', () => {
    expect(outcome(mergeMessages([v('a', '1'), v('b', '1')], [v('a', '1'), v('b', '2')]))).toEqual(['a:theirs', 'b:ours']);
  });

  it('never drops a stored message this save lacks', () => {
    expect(outcome(mergeMessages([v('a'), v('b'), v('c')], [v('b')]))).toEqual(['a:theirs', 'b:theirs', 'c:theirs']);
  });

  it('into an empty chat is the save itself', () => {
    expect(outcome(mergeMessages([], [v('a'), v('b')]))).toEqual(['a:ours', 'b:ours']);
  });
});

describe('message hash - the same message read back hashes the same', () => {
  it('ignores key order and undefined fields, and sees any change of content', () => {
    const message = { id: 'm1', role: 'user', parts: [{ type: 'text', text: 'hi' }], metadata: undefined };
    const readBack = { parts: [{ text: 'hi', type: 'text' }], role: 'user', id: 'm1' };
    expect(messageHash(readBack)).toBe(messageHash(message));
    expect(messageHash({ ...readBack, parts: [{ text: 'hi!', type: 'text' }] })).not.toBe(messageHash(message));
  });
});
