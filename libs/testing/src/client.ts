import { connect, createInbox, headers, type NatsConnection } from '@nats-io/transport-node';

export interface Reply<T = any> {
  ok: boolean;
  body: T;
  /** `Nats-Service-Error-Code` of an error reply. */
  status?: number;
  error?: { code: string; reason?: string; message: string; details?: Record<string, unknown> };
}

export interface CallOptions {
  token?: string;
  requestId?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Raw request/reply over NATS with plain JSON, the way any agent would call the service. */
export class NatsTestClient {
  private constructor(
    readonly nc: NatsConnection,
    private readonly prefix: string,
    private readonly token?: string,
  ) {}

  static async connect(url: string, token?: string, prefix = 'mem'): Promise<NatsTestClient> {
    return new NatsTestClient(await connect({ servers: url }), prefix, token);
  }

  withToken(token: string | undefined): NatsTestClient {
    return new NatsTestClient(this.nc, this.prefix, token);
  }

  async call<T = any>(op: string, body: unknown, o: CallOptions = {}): Promise<Reply<T>> {
    const h = headers();
    const token = o.token ?? this.token;
    if (token) h.set('Authorization', `Bearer ${token}`);
    if (o.requestId) h.set('Mem-Request-Id', o.requestId);
    for (const [k, v] of Object.entries(o.headers ?? {})) h.set(k, v);
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const msg = await this.nc.request(`${this.prefix}.v1.${op}`, payload, { headers: h, timeout: o.timeoutMs ?? 10_000 });
    const parsed = JSON.parse(msg.string());
    const status = msg.headers?.get('Nats-Service-Error-Code');
    if (status) return { ok: false, body: parsed, status: Number(status), error: parsed.error };
    return { ok: true, body: parsed };
  }

  /** Like `call`, but throws on an error reply. */
  async ok<T = any>(op: string, body: unknown, o: CallOptions = {}): Promise<T> {
    const reply = await this.call<T>(op, body, o);
    if (!reply.ok) throw new Error(`${op} failed: ${JSON.stringify(reply.error)}`);
    return reply.body;
  }

  /**
   * A streaming request: collects every reply message until the one with `Mem-End: true`.
   * `onItem` sees each item as it arrives (e.g. to write more while the stream is live).
   */
  async stream<T = any>(op: string, body: unknown, o: CallOptions & { onItem?: (item: T, index: number) => void } = {}): Promise<{ items: T[]; error?: Reply['error'] }> {
    const inbox = createInbox();
    const sub = this.nc.subscribe(inbox);
    const h = headers();
    const token = o.token ?? this.token;
    if (token) h.set('Authorization', `Bearer ${token}`);
    this.nc.publish(`${this.prefix}.v1.${op}`, JSON.stringify(body), { headers: h, reply: inbox });
    const items: T[] = [];
    const timer = setTimeout(() => sub.unsubscribe(), o.timeoutMs ?? 30_000);
    try {
      for await (const m of sub) {
        if (m.headers?.get('Mem-End') === 'true') return { items };
        const parsed = JSON.parse(m.string());
        if (m.headers?.get('Nats-Service-Error-Code')) return { items, error: parsed.error };
        items.push(parsed);
        o.onItem?.(parsed, items.length - 1);
      }
      throw new Error(`${op} stream ended without Mem-End after ${items.length} items`);
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
  }

  /** Publishes without a reply subject (fire-and-forget). */
  publish(op: string, body: unknown, o: CallOptions = {}): void {
    const h = headers();
    const token = o.token ?? this.token;
    if (token) h.set('Authorization', `Bearer ${token}`);
    if (o.requestId) h.set('Mem-Request-Id', o.requestId);
    this.nc.publish(`${this.prefix}.v1.${op}`, JSON.stringify(body), { headers: h });
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
