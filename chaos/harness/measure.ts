import type { ChaosClient } from './client';
import { KV_NS, episodicNs, kvKey } from './load';
import { now, sleep } from './procs';
import type { ServiceProcess } from './service';

export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

/** The longest period in [from, to] with no time in `times` (e.g. no successful write). */
export function longestGap(times: number[], from: number, to: number): { ms: number; start: number } {
  const sorted = times.filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let best = { ms: 0, start: from };
  let prev = from;
  for (const t of [...sorted, to]) {
    if (t - prev > best.ms) best = { ms: t - prev, start: prev };
    prev = t;
  }
  return best;
}

export const fmtMs = (ms: number | null | undefined): string => (ms === null || ms === undefined || Number.isNaN(ms) ? '—' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

/** Polls `/readyz` every `everyMs` and keeps every answer (0 = no answer within the poll timeout). */
export class ReadyzMonitor {
  readonly samples: Array<{ t: number; status: number; why: string[] }> = [];
  private running = true;
  private loop: Promise<void>;

  constructor(
    private readonly service: () => ServiceProcess,
    everyMs = 100,
    readonly pollTimeoutMs = 1000,
  ) {
    this.loop = (async () => {
      for (let n = 0; n < 100_000 && this.running; n++) {
        const s = this.service();
        const t = now();
        const { status, why } = s.alive ? await s.readiness(this.pollTimeoutMs) : { status: -1, why: [] };
        this.samples.push({ t, status, why });
        await sleep(everyMs);
      }
    })();
  }

  /** When the first answer after `from` that satisfies `pred` was seen, relative to `from`. */
  firstAfter(from: number, pred: (status: number) => boolean): number | null {
    const s = this.samples.find((x) => x.t >= from && pred(x.status));
    return s ? s.t - from : null;
  }

  /** Time from `from` until /readyz answered 200 and then kept answering 200. */
  readyAgainAfter(from: number): number | null {
    const after = this.samples.filter((x) => x.t >= from);
    let candidate: number | null = null;
    for (const s of after) {
      if (s.status === 200) candidate ??= s.t;
      else candidate = null;
    }
    return candidate === null ? null : candidate - from;
  }

  /** The statuses seen in [from, to], e.g. `200×12 503×40 timeout×3`. */
  describe(from: number, to: number): string {
    const counts = new Map<string, number>();
    for (const s of this.samples.filter((x) => x.t >= from && x.t <= to)) {
      const k = s.status === 0 ? 'no-answer' : s.status === -1 ? 'down' : String(s.status);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const reasons = new Map<string, number>();
    for (const s of this.samples.filter((x) => x.t >= from && x.t <= to)) for (const w of s.why) reasons.set(w, (reasons.get(w) ?? 0) + 1);
    const why = [...reasons].map(([k, v]) => `${k} ×${v}`).join(', ');
    return ([...counts].map(([k, v]) => `${k}×${v}`).join(' ') || 'none') + (why ? ` (503 because ${why})` : '');
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Time from `from` until a kv.get and an episodic.range with `minSeq` = the newest acknowledged
 * seq (read when each probe is sent) both succeed: the read models are current. `failures` counts
 * the failed probes by error code or transport outcome.
 */
const PROBE_TIMEOUT_MS = 1_000;

/**
 * Time from `from` until reads with `minSeq` succeed on both kv and episodic; `minSeq` returns null
 * while there is nothing to wait for yet (no write acknowledged after the repair).
 */
export async function timeUntilCurrent(client: ChaosClient, minSeq: () => number | null, from: number, timeoutMs = 30_000): Promise<{ ms: number | null; failures: Record<string, number> }> {
  const end = from + timeoutMs;
  const failures: Record<string, number> = {};
  while (now() < end) {
    const seq = minSeq();
    if (seq === null) {
      await sleep(20);
      continue;
    }
    // A probe lost while the connections come back would cost its whole timeout: a short one,
    // retried, as a client would; a current read model answers in milliseconds.
    const [kv, ep] = await Promise.all([
      client.once('kv.get', { ns: KV_NS, key: kvKey(0), minSeq: seq }, { timeoutMs: PROBE_TIMEOUT_MS }),
      client.once('episodic.range', { ns: episodicNs(0), minSeq: seq, limit: 1 }, { timeoutMs: PROBE_TIMEOUT_MS }),
    ]);
    if (kv.kind === 'ok' && ep.kind === 'ok') return { ms: now() - from, failures };
    for (const a of [kv, ep]) if (a.kind !== 'ok') failures[a.error?.code ?? a.kind] = (failures[a.error?.code ?? a.kind] ?? 0) + 1;
    await sleep(100);
  }
  return { ms: null, failures };
}
