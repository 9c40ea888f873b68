import { LruMap } from '@memsidecar/core';

/** How many distinct buckets one instance keeps; the least recently used are forgotten (i.e. refilled). */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets, one per key: `perSecond` tokens flow in, at most `burst` wait. Each instance
 * keeps its own buckets (they are a rate, not a record), so N instances allow up to N times the rate.
 */
export class TokenBuckets {
  private readonly buckets = new LruMap<string, Bucket>(MAX_BUCKETS);

  /** Takes one token; returns 0 when it was there, else the milliseconds until one will be. */
  take(key: string, perSecond: number, burst: number, nowMs: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: burst, at: nowMs };
    const tokens = Math.min(burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * perSecond);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: nowMs });
      return 0;
    }
    this.buckets.set(key, { tokens, at: nowMs });
    return Math.ceil(((1 - tokens) / perSecond) * 1000);
  }

  clear(): void {
    this.buckets.clear();
  }
}
