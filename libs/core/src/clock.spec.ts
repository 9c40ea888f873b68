import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from './clock';
import { ManualClock } from './manual-clock';

const START = new Date('2030-01-01T00:00:00.000Z');
const at = (clock: ManualClock) => clock.now().getTime() - START.getTime();

describe('systemClock', () => {
  afterEach(() => vi.useRealTimers());

  it('reads the wall clock', () => {
    vi.useFakeTimers({ now: START });
    expect(systemClock.now()).toEqual(START);
  });

  it('sleeps on a timer, and wakes early without failing when its signal aborts', async () => {
    vi.useFakeTimers();
    let woke = false;
    const slept = systemClock.sleep(1_000).then(() => (woke = true));
    await vi.advanceTimersByTimeAsync(999);
    expect(woke).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slept;
    expect(woke).toBe(true);

    const abort = new AbortController();
    const aborted = systemClock.sleep(60_000, abort.signal);
    abort.abort();
    await expect(aborted).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    await expect(systemClock.sleep(60_000, AbortSignal.abort())).resolves.toBeUndefined();
  });
});

describe('ManualClock', () => {
  it('stands still until advanced', async () => {
    const clock = new ManualClock(START);
    expect(clock.now()).toEqual(START);
    await clock.advance(1_500);
    expect(at(clock)).toBe(1_500);
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
  });

  it('wakes each due sleep at its own time, earliest first, and leaves the others asleep', async () => {
    const clock = new ManualClock(START);
    const woke: [string, number][] = [];
    const sleepFor = (name: string, ms: number) => void clock.sleep(ms).then(() => woke.push([name, at(clock)]));
    sleepFor('late', 300);
    sleepFor('early', 100);
    sleepFor('same time, begun later', 100);
    sleepFor('beyond', 1_000);

    await clock.advance(99);
    expect(woke).toEqual([]);
    await clock.advance(201);
    expect(woke).toEqual([
      ['early', 100],
      ['same time, begun later', 100],
      ['late', 300],
    ]);
    expect(clock.sleeping).toBe(1);
    expect(at(clock)).toBe(300);
  });

  it('also wakes the sleeps begun by a woken sleeper when they fall due within the same advance', async () => {
    const clock = new ManualClock(START);
    const rounds: number[] = [];
    void (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100);
        rounds.push(at(clock));
      }
    })();
    await clock.advance(350);
    expect(rounds).toEqual([100, 200, 300]);
    expect(at(clock)).toBe(350);
  });

  it('wakes a sleep at once when its signal aborts, and does not count it as sleeping any more', async () => {
    const clock = new ManualClock(START);
    const abort = new AbortController();
    const slept = clock.sleep(10_000, abort.signal);
    expect(clock.sleeping).toBe(1);
    abort.abort();
    await slept;
    expect(clock.sleeping).toBe(0);
    expect(at(clock)).toBe(0);
    await expect(clock.sleep(10_000, AbortSignal.abort())).resolves.toBeUndefined();
    await expect(clock.sleep(0)).resolves.toBeUndefined();
    expect(clock.sleeping).toBe(0);
  });

  it('tells when enough sleepers wait for it', async () => {
    const clock = new ManualClock(START);
    let two = false;
    const waiting = clock.whenSleeping(2).then(() => (two = true));
    void clock.sleep(100);
    await Promise.resolve();
    expect(two).toBe(false);
    void clock.sleep(100);
    await waiting;
    expect(two).toBe(true);
    await expect(clock.whenSleeping(1)).resolves.toBeUndefined();
  });
});
