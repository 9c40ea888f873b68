/**
 * Events per second over a sliding window, from a running total noted as it grows. The window
 * keeps one sample from before its start as the baseline, so a read model that stopped applying
 * falls to 0 once the window has passed, and a burst is not averaged over the whole run.
 */
export class RateMeter {
  private samples: { at: number; total: number }[];

  constructor(
    private readonly windowMs = 10_000,
    now = Date.now(),
  ) {
    this.samples = [{ at: now, total: 0 }];
  }

  note(total: number, now = Date.now()): void {
    this.samples.push({ at: now, total });
    this.prune(now);
  }

  perSecond(now = Date.now()): number {
    this.prune(now);
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const seconds = (now - first.at) / 1000;
    return seconds > 0 ? (last.total - first.total) / seconds : 0;
  }

  private prune(now: number): void {
    while (this.samples.length > 1 && this.samples[1].at <= now - this.windowMs) this.samples.shift();
  }
}
