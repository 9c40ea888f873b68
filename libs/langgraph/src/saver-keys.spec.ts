import { describe, expect, it } from 'vitest';
import { MAX_KEY_BYTES, addressOf, blobKey, blobOf, checkpointKey, prefixOf, writeKey } from './saver-keys';

describe('langgraph - checkpoint keys', () => {
  const awkward = ['plain', 'a/b', 'a%2Fb', '%', '100%/', 'x\0y', 'ünï/cödé', ''];

  it('reads back the thread, namespace and checkpoint id of any key, whatever characters they hold', () => {
    for (const threadId of awkward.filter(Boolean))
      for (const checkpointNs of awkward) {
        expect(addressOf(checkpointKey(threadId, checkpointNs, 'id-1'))).toEqual({ threadId, checkpointNs, checkpointId: 'id-1' });
        expect(addressOf(writeKey(threadId, checkpointNs, 'id-1', 'task/1', -3))).toEqual({ threadId, checkpointNs, checkpointId: 'id-1' });
        expect(blobOf(blobKey(threadId, checkpointNs, 'chan/nel', 1.25))).toEqual({ checkpointNs, channel: 'chan/nel', version: '1.25' });
      }
  });

  it('a thread’s prefix holds its keys and no other thread’s, even when one id starts with another', () => {
    const threads = ['a', 'a/b', 'ab', 'a%2Fb', 'a%'];
    for (const mine of threads)
      for (const other of threads) {
        const key = checkpointKey(other, 'ns', 'id');
        expect(key.startsWith(prefixOf('c', mine))).toBe(mine === other);
        expect(key.startsWith(prefixOf('c', mine, 'ns'))).toBe(mine === other);
      }
  });

  it('a key over the service’s bound is refused saying what it was for', () => {
    expect(() => checkpointKey('t'.repeat(MAX_KEY_BYTES), '', 'id')).toThrow(/key for this checkpoint is \d+ bytes, over the service's 512/);
  });

  it('within a thread and namespace, key order is checkpoint id order', () => {
    const ids = ['1ef0-0001', '1ef0-0002', '1ef0-0010', '1ef1-0000'];
    const keys = ids.map((id) => checkpointKey('t', '', id));
    expect([...keys].sort()).toEqual(keys);
  });
});
