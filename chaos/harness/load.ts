import { randomBytes } from 'node:crypto';
import { ChaosClient, type AttemptKind, type CallResult } from './client';
import { now, sleep } from './procs';

export type WriteOp = 'kv.put' | 'episodic.append';

export interface WriteRecord {
  client: number;
  i: number;
  op: WriteOp;
  rid: string;
  result: CallResult<{ seq?: number; version?: number }>;
}

export interface AttemptSample {
  t: number;
  kind: AttemptKind;
  ms: number;
  code?: string;
}

export interface LoadOptions {
  servers: string;
  clients?: number;
  /** Pause between one client's operations. */
  pacingMs?: number;
  readers?: number;
  readPacingMs?: number;
  maxOpsPerClient?: number;
  /** One attempt's timeout. */
  requestTimeoutMs?: number;
  /** After `stop()`, how long an unacknowledged write keeps being retried. */
  drainMs?: number;
  /** A read's timeout. */
  readTimeoutMs?: number;
}

export const KV_NS = 'chaos';
export const kvKey = (client: number): string => `c${client}`;
export const episodicNs = (client: number): string => `chaos-c${client}`;

/**
 * The shared load: `clients` writers, each alternating kv.put on its own key (so the expected
 * version is known) and episodic.append in its own namespace, every write with a request id and
 * retried until acknowledged; plus `readers` doing kv.get without retries (to time reads).
 * Every loop is bounded by `maxOpsPerClient` and by `stop()` + `drainMs`.
 */
export class MixedLoad {
  readonly runId = `chaos${randomBytes(3).toString('hex')}`;
  readonly records: WriteRecord[] = [];
  readonly writeAttempts: AttemptSample[] = [];
  readonly reads: AttemptSample[] = [];
  maxAckedSeq = 0;
  startedAt = 0;
  stoppedAt = 0;
  private stopping = false;
  private hardDeadline = 0;
  private loops: Promise<void>[] = [];
  private connections: ChaosClient[] = [];
  private readonly o: Required<LoadOptions>;

  constructor(options: LoadOptions) {
    this.o = { clients: 16, pacingMs: 20, readers: 2, readPacingMs: 50, maxOpsPerClient: 20_000, requestTimeoutMs: 2000, drainMs: 30_000, readTimeoutMs: 2000, ...options };
  }

  get clients(): number {
    return this.o.clients;
  }

  async start(): Promise<void> {
    this.startedAt = now();
    this.hardDeadline = this.startedAt + 15 * 60_000;
    for (let c = 0; c < this.o.clients; c++) this.connections.push(await ChaosClient.connect(this.o.servers, `chaos-writer-${c}`));
    const readers: ChaosClient[] = [];
    for (let r = 0; r < this.o.readers; r++) readers.push(await ChaosClient.connect(this.o.servers, `chaos-reader-${r}`));
    this.connections.push(...readers);
    for (let c = 0; c < this.o.clients; c++) this.loops.push(this.writer(c, this.connections[c]));
    readers.forEach((client, r) => this.loops.push(this.reader(r, client)));
  }

  /** Stops issuing new operations; in-flight writes are retried for up to `drainMs`. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stoppedAt = now();
    this.hardDeadline = Math.min(this.hardDeadline, this.stoppedAt + this.o.drainMs);
    await Promise.all(this.loops);
    await Promise.all(this.connections.map((c) => c.close()));
  }

  private async writer(c: number, client: ChaosClient): Promise<void> {
    for (let i = 0; i < this.o.maxOpsPerClient && !this.stopping; i++) {
      const op: WriteOp = i % 2 === 0 ? 'kv.put' : 'episodic.append';
      const rid = `${this.runId}-c${c}-${i}`;
      const mark = { c, i, rid };
      const body = op === 'kv.put' ? { ns: KV_NS, key: kvKey(c), value: mark } : { ns: episodicNs(c), type: 'chaos', payload: mark };
      const result = await client.call(op, body, {
        requestId: rid,
        timeoutMs: this.o.requestTimeoutMs,
        deadline: () => this.hardDeadline,
        onAttempt: (a, t) => this.writeAttempts.push({ t, kind: a.kind, ms: a.ms, code: a.error?.code }),
      });
      this.records.push({ client: c, i, op, rid, result });
      if (result.ok && typeof result.body?.seq === 'number') this.maxAckedSeq = Math.max(this.maxAckedSeq, result.body.seq);
      if (!result.ok && result.gaveUp) break; // the deadline passed: this client is done
      await sleep(this.o.pacingMs);
    }
  }

  private async reader(r: number, client: ChaosClient): Promise<void> {
    for (let n = 0; n < 1_000_000 && !this.stopping; n++) {
      const c = (r + n) % this.o.clients;
      const a = await client.once('kv.get', { ns: KV_NS, key: kvKey(c) }, { timeoutMs: this.o.readTimeoutMs });
      this.reads.push({ t: now(), kind: a.kind, ms: a.ms, code: a.error?.code });
      await sleep(this.o.readPacingMs);
    }
  }

  acked(): WriteRecord[] {
    return this.records.filter((r) => r.result.ok);
  }

  /** Writes answered with an error that is not retried (e.g. INTERNAL), by code. */
  refused(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.records) if (!r.result.ok && !r.result.gaveUp) out[r.result.error?.code ?? '?'] = (out[r.result.error?.code ?? '?'] ?? 0) + 1;
    return out;
  }

  gaveUp(): number {
    return this.records.filter((r) => r.result.gaveUp).length;
  }
}
