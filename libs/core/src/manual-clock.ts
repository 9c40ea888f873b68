import type { Clock } from './clock';

interface Sleeper {
  dueAt: number;
  /** Sleeps due at the same time wake in the order they began. */
  order: number;
  wake(): void;
}

/** Lets the continuations of a woken sleep run up to their next wait before time moves on. */
const letContinuationsRun = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that stands still until a test moves it: `advance` wakes the sleeps that fall due, each
 * at the time it asked for, earliest first, so workers run their rounds without any real wait.
 */
export class ManualClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];
  private begun = 0;
  private watchers: { count: number; resolve: () => void }[] = [];

  /** Starts at the wall-clock time unless told otherwise: a real log or database next to it keeps plausible dates. */
  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  /** How many sleeps wait for the clock to move. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper: Sleeper = {
        dueAt: this.current + ms,
        order: this.begun++,
        wake: () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          signal?.removeEventListener('abort', sleeper.wake);
          resolve();
        },
      };
      signal?.addEventListener('abort', sleeper.wake, { once: true });
      this.sleepers.push(sleeper);
      this.tellWatchers();
    });
  }

  /**
   * Moves time forward by `ms`. Every sleep due by then wakes at its own due time, earliest first,
   * including sleeps begun by what an earlier one woke; resolves once they had their turn.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward, not by ${ms} ms`);
    const target = this.current + ms;
    for (let next = this.firstDueBy(target); next; next = this.firstDueBy(target)) {
      this.current = next.dueAt;
      next.wake();
      await letContinuationsRun();
    }
    this.current = target;
  }

  /**
   * Resolves once at least `count` sleeps wait for the clock: a worker that sleeps between rounds
   * has then finished the round it was in.
   */
  whenSleeping(count = 1): Promise<void> {
    if (this.sleepers.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ count, resolve }));
  }

  private firstDueBy(time: number): Sleeper | undefined {
    let first: Sleeper | undefined;
    for (const s of this.sleepers) {
      if (s.dueAt > time) continue;
      if (!first || s.dueAt < first.dueAt || (s.dueAt === first.dueAt && s.order < first.order)) first = s;
    }
    return first;
  }

  private tellWatchers(): void {
    const satisfied = this.watchers.filter((w) => this.sleepers.length >= w.count);
    if (satisfied.length === 0) return;
    this.watchers = this.watchers.filter((w) => !satisfied.includes(w));
    for (const w of satisfied) w.resolve();
  }
}
