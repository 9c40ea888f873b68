import { describe, expect, it } from 'vitest';
import { RateMeter } from './rate-meter';

describe('rate meter - events per second over a sliding window', () => {
  it('measures the recent rate, not the average since start, and falls to 0 when idle', () => {
    const meter = new RateMeter(10_000, 0);
    expect(meter.perSecond(0)).toBe(0);
    for (let t = 1_000; t <= 20_000; t += 1_000) meter.note(t / 10, t); // 100 events/s for 20 s
    expect(meter.perSecond(20_000)).toBeCloseTo(100, 5);
    for (let t = 21_000; t <= 30_000; t += 1_000) meter.note(2_000 + (t - 20_000), t); // then 1000 events/s
    expect(meter.perSecond(30_000)).toBeCloseTo(1_000, 5);
    expect(meter.perSecond(35_000)).toBeCloseTo(500, 5); // 5 s of the window without events
    expect(meter.perSecond(45_000)).toBe(0);
  });
});
