import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff';
import type { RetryPolicy } from './config';

const DEFAULTS: RetryPolicy = { maxRetries: 5, baseDelayMs: 200, capDelayMs: 30_000, jitterFactor: 0.25 };

const ceilingOf = (p: RetryPolicy, attempt: number) => Math.min(p.capDelayMs, p.baseDelayMs * 2 ** attempt);

/** The band a delay must lie in; the bounds are widened by the rounding to whole milliseconds. */
const expectInBand = (p: RetryPolicy, attempt: number, delay: number) => {
  const ceiling = ceilingOf(p, attempt);
  expect(delay).toBeGreaterThanOrEqual(Math.floor(ceiling * (1 - p.jitterFactor)));
  expect(delay).toBeLessThanOrEqual(ceiling);
  expect(delay).toBeLessThanOrEqual(p.capDelayMs);
};

const sessionIds = Array.from({ length: 200 }, (_, i) => `session-${i}`);

describe('backoff - capped exponential with session jitter', () => {
  it('keeps every delay within [ceiling*(1-jitter), ceiling] and never over the cap', () => {
    for (const id of sessionIds) for (let attempt = 0; attempt < 20; attempt++) expectInBand(DEFAULTS, attempt, retryDelayMs(DEFAULTS, id, attempt));
  });

  // Far beyond the clamp of 5 retries; past attempt 1023, 2^attempt overflows (and 0 * Infinity is NaN).
  it('holds for any policy, session id and attempt', () => {
    const policies = fc.record({
      maxRetries: fc.constant(5),
      baseDelayMs: fc.integer({ min: 0, max: 10_000 }),
      capDelayMs: fc.integer({ min: 1, max: 30_000 }),
      jitterFactor: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(policies, fc.string(), fc.integer({ min: 0, max: 100 }), (p, id, attempt) => {
        expectInBand(p, attempt, retryDelayMs(p, id, attempt));
      }),
      { numRuns: 2_000 },
    );
  });

  it('grows by doubling until the cap', () => {
    const noJitter = { ...DEFAULTS, jitterFactor: 0 };
    expect([0, 1, 2, 3, 7, 8, 20].map((a) => retryDelayMs(noJitter, 's', a))).toEqual([200, 400, 800, 1_600, 25_600, 30_000, 30_000]);
  });

  it('gives the same session the same delays', () => {
    for (const id of sessionIds.slice(0, 20)) {
      const delays = () => Array.from({ length: 10 }, (_, attempt) => retryDelayMs(DEFAULTS, id, attempt));
      expect(delays()).toEqual(delays());
    }
  });

  it('spreads different sessions over the band', () => {
    const attempt = 6; // ceiling 12800 ms, band 9600-12800 ms
    const delays = sessionIds.map((id) => retryDelayMs(DEFAULTS, id, attempt));
    expect(new Set(delays).size).toBeGreaterThan(190);
    const band = ceilingOf(DEFAULTS, attempt) * DEFAULTS.jitterFactor;
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(0.9 * band);
    // Both halves of the band are used, not one corner of it.
    const middle = ceilingOf(DEFAULTS, attempt) - band / 2;
    expect(delays.filter((d) => d < middle).length).toBeGreaterThan(60);
    expect(delays.filter((d) => d >= middle).length).toBeGreaterThan(60);
    // Two sessions do not walk the same schedule.
    const schedule = (id: string) => Array.from({ length: 5 }, (_, a) => retryDelayMs(DEFAULTS, id, a)).join(',');
    expect(new Set(sessionIds.map(schedule)).size).toBe(sessionIds.length);
  });
});
