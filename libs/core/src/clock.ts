/** Time and ids enter pure code as arguments; this is where the impure ones come from. */
import { randomUUID } from 'node:crypto';

/**
 * Where anything that decides by time reads it and waits for it, so that a test can drive that
 * time instead of sleeping through it.
 */
export interface Clock {
  now(): Date;
  /**
   * Resolves once `ms` have passed on this clock, or as soon as `signal` aborts: an abort wakes
   * the sleeper early, it is no failure, so it never rejects.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(wake, Math.max(0, ms));
      signal?.addEventListener('abort', wake, { once: true });
      function wake() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', wake);
        resolve();
      }
    }),
};

export const newId = (): string => randomUUID();

export const toIso = (d: Date): string => d.toISOString();
