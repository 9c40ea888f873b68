import { MemError, type StoredEvent } from '@memsidecar/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatcherDeps } from './batcher';
import { EventBuffer } from './event-buffer';
import { SeqWaiters } from './seq-waiters';

const event = (seq: number) => ({ seq }) as StoredEvent;

describe('runner parts - buffer, waiters and batcher on their own', () => {
  afterEach(() => vi.useRealTimers());

  it('a full buffer holds its feed back until a batch makes room, and dropping through a sequence skips what it covers', async () => {
    const buffer = new EventBuffer(3);
    [1, 2, 3].forEach((s) => buffer.push(event(s)));
    expect(buffer.full).toBe(true);
    let released = false;
    void buffer.waitForRoom().then(() => (released = true));
    buffer.dropThrough(0);
    await Promise.resolve();
    expect(released).toBe(false);
    buffer.drop(2);
    await Promise.resolve();
    expect(released).toBe(true);
    expect(buffer.head(5).map((e) => e.seq)).toEqual([3]);
    expect(buffer.lastSeq).toBe(3);
  });

  it('waiters resolve once their sequence is reached, fail when blocked, and time out otherwise', async () => {
    vi.useFakeTimers();
    const waiters = new SeqWaiters();
    const late = new MemError('DEADLINE_EXCEEDED', 'late');
    const reached = waiters.add(5, 1_000, () => late);
    const blocked = waiters.add(9, 1_000, () => late);
    const timedOut = waiters.add(20, 1_000, () => late);
    waiters.resolveThrough(6);
    await expect(reached).resolves.toBeUndefined();
    const refusal = new MemError('UNAVAILABLE', 'parked');
    waiters.rejectBlocked((seq) => (seq < 10 ? refusal : null));
    await expect(blocked).rejects.toBe(refusal);
    expect(waiters.size).toBe(1);
    vi.advanceTimersByTime(1_000);
    await expect(timedOut).rejects.toBe(late);
    expect(waiters.size).toBe(0);
  });

  const batcher = (overrides: Partial<BatcherDeps> = {}) => {
    const buffer = new EventBuffer(10);
    const batches: number[][] = [];
    const deps: BatcherDeps = {
      buffer,
      maxBatch: 3,
      apply: async (batch) => {
        batches.push(batch.map((e) => e.seq));
        buffer.drop(batch.length);
      },
      fed: () => false,
      urgent: () => false,
      waiting: () => false,
      standby: () => false,
      stopped: () => false,
      parked: () => false,
      ...overrides,
    };
    return { b: new Batcher(deps), batches };
  };

  it('on its own consumer lingers to gather a batch, and cuts full batches at once', async () => {
    vi.useFakeTimers();
    const { b, batches } = batcher();
    b.take(event(1));
    b.take(event(2));
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(batches).toEqual([[1, 2]]);
    [3, 4, 5, 6].forEach((s) => b.take(event(s)));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches[1]).toEqual([3, 4, 5]);
    await vi.advanceTimersByTimeAsync(25);
    expect(batches).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('what arrives while a batch is applied lingers too, unless a reader waits for it', async () => {
    vi.useFakeTimers();
    let waiting = false;
    let arriving: number[] = [];
    const buffer = new EventBuffer(10);
    const { b, batches } = batcher({
      buffer,
      waiting: () => waiting,
      apply: async (batch) => {
        await Promise.resolve();
        batches.push(batch.map((e) => e.seq));
        buffer.drop(batch.length);
        arriving.forEach((s) => b.take(event(s)));
        arriving = [];
      },
    });
    arriving = [2];
    b.take(event(1));
    await vi.advanceTimersByTimeAsync(20);
    expect(batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(15);
    expect(batches).toEqual([[1], [2]]);
    arriving = [4];
    b.take(event(3));
    waiting = true;
    b.schedule();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1], [2], [3], [4]]);
  });

  it('on standby never lingers nor cuts a batch of its own accord, but applies everything for a reader', async () => {
    vi.useFakeTimers();
    let waiting = false;
    const { b, batches } = batcher({ standby: () => true, waiting: () => waiting, urgent: () => true });
    [1, 2, 3, 4].forEach((s) => b.take(event(s)));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(batches).toEqual([]);
    waiting = true;
    b.schedule();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('on a feed waits for a full batch while the feed is behind, and never lingers', async () => {
    vi.useFakeTimers();
    let caughtUp = false;
    const { b, batches } = batcher({ fed: () => true, urgent: () => caughtUp });
    b.take(event(1));
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([]);
    caughtUp = true;
    b.schedule();
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1]]);
  });
});
