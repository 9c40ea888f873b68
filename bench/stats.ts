/** Latency samples in milliseconds and how we print them. */
export interface Summary {
  p50: number;
  p95: number;
  p99: number;
  count: number;
}

export function summarize(samplesMs: number[]): Summary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), count: sorted.length };
}

/** Runs `op` sequentially `n` times after `warmup` runs and returns per-call latency in ms. */
export async function timeEach(n: number, op: (i: number) => Promise<unknown>, warmup = Math.min(200, n)): Promise<Summary> {
  for (let i = 0; i < warmup; i++) await op(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await op(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return summarize(samples);
}

/** Operations per second of `workers` concurrent loops, each running `perWorker` operations. */
export async function throughput(workers: number, perWorker: number, op: (worker: number, i: number) => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; i < perWorker; i++) await op(w, i);
  }));
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  return (workers * perWorker) / seconds;
}

/**
 * Operations per second of `workers` concurrent loops, each running `op` until `seconds` have
 * passed (a fixed time rather than a fixed count, so slow and fast operations are measured alike).
 */
export async function throughputFor(workers: number, seconds: number, op: (worker: number, i: number) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; process.hrtime.bigint() < deadline; i++) {
        await op(w, i);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** The round whose p50 is the median of all rounds: one noisy round cannot decide the figures. */
export function medianRound(rounds: Summary[]): Summary {
  const sorted = [...rounds].sort((a, b) => a.p50 - b.p50);
  return sorted[Math.floor(sorted.length / 2)];
}

export const ms = (v: number): string => `${v.toFixed(3)} ms`;
export const rate = (v: number): string => `${Math.round(v).toLocaleString('en-US')} ops/s`;
