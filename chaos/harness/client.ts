import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { now, sleep } from './procs';

export type AttemptKind = 'ok' | 'unavailable' | 'timeout' | 'no-responders' | 'disconnected' | 'error';

export interface ServiceError {
  code: string;
  reason?: string;
  message: string;
}

export interface AttemptResult<T = any> {
  kind: AttemptKind;
  body?: T;
  error?: ServiceError;
  /** A transport error's text. */
  detail?: string;
  ms: number;
}

export interface CallResult<T = any> {
  ok: boolean;
  body?: T;
  /** The final error reply (not retried), or absent when the deadline passed. */
  error?: ServiceError;
  attempts: number;
  /** Retried attempts by kind. */
  retried: Partial<Record<AttemptKind, number>>;
  sentAt: number;
  doneAt: number;
  /** The deadline passed with no answer: the outcome is unknown. */
  gaveUp: boolean;
}

export interface CallOptions {
  requestId?: string;
  /** One attempt's timeout. */
  timeoutMs?: number;
  /** Retry until then (epoch ms); a function is read again before each retry. */
  deadline?: number | (() => number);
  onAttempt?: (a: AttemptResult, at: number) => void;
}

const classify = (e: unknown): AttemptKind => {
  const err = e as Error & { cause?: Error; code?: string };
  const text = `${err?.name} ${err?.message} ${err?.cause?.name ?? ''} ${err?.cause?.message ?? ''} ${err?.code ?? ''}`.toLowerCase();
  if (text.includes('no responders') || text.includes('noresponders') || text.includes('503')) return 'no-responders';
  if (text.includes('timeout')) return 'timeout';
  // No reply for any other reason (closed, reconnecting, …): the service decided nothing we know of.
  return 'disconnected';
};

/**
 * A raw NATS request/reply client as an agent would write one: plain JSON on `mem.v1.<block>.<op>`,
 * `Mem-Request-Id` on mutations, and retries of the same request (same id) on a timeout, no
 * responders, a lost connection or UNAVAILABLE, with a short backoff, until acknowledged or the deadline.
 */
export class ChaosClient {
  private constructor(readonly nc: NatsConnection) {}

  static async connect(servers: string, name = 'chaos-client'): Promise<ChaosClient> {
    const nc = await connect({
      servers: servers.split(','),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 200,
      reconnectJitter: 50,
      pingInterval: 2000,
      maxPingOut: 2,
      timeout: 2000,
    });
    return new ChaosClient(nc);
  }

  async once<T = any>(op: string, body: unknown, o: { requestId?: string; timeoutMs?: number } = {}): Promise<AttemptResult<T>> {
    const h = headers();
    if (o.requestId) h.set('Mem-Request-Id', o.requestId);
    const t0 = now();
    try {
      const msg = await this.nc.request(`mem.v1.${op}`, JSON.stringify(body), { headers: h, timeout: o.timeoutMs ?? 2000 });
      const ms = now() - t0;
      const parsed = JSON.parse(msg.string());
      if (msg.headers?.get('Nats-Service-Error-Code') || parsed?.error) {
        const error = parsed.error as ServiceError;
        return { kind: error?.code === 'UNAVAILABLE' ? 'unavailable' : 'error', error, ms };
      }
      return { kind: 'ok', body: parsed, ms };
    } catch (e) {
      return { kind: classify(e), detail: (e as Error).message, ms: now() - t0 };
    }
  }

  async call<T = any>(op: string, body: unknown, o: CallOptions = {}): Promise<CallResult<T>> {
    const sentAt = now();
    const deadline = (): number => (typeof o.deadline === 'function' ? o.deadline() : (o.deadline ?? sentAt + 30_000));
    const retried: CallResult['retried'] = {};
    let attempts = 0;
    let backoff = 50;
    for (;;) {
      attempts++;
      const a = await this.once<T>(op, body, { requestId: o.requestId, timeoutMs: o.timeoutMs });
      o.onAttempt?.(a, now());
      if (a.kind === 'ok') return { ok: true, body: a.body, attempts, retried, sentAt, doneAt: now(), gaveUp: false };
      if (a.kind === 'error') return { ok: false, error: a.error ?? { code: 'TRANSPORT', message: a.detail ?? '' }, attempts, retried, sentAt, doneAt: now(), gaveUp: false };
      retried[a.kind] = (retried[a.kind] ?? 0) + 1;
      if (now() + backoff >= deadline()) return { ok: false, attempts, retried, sentAt, doneAt: now(), gaveUp: true };
      await sleep(backoff * (0.75 + Math.random() * 0.5));
      backoff = Math.min(backoff * 2, 500);
    }
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
  }
}
