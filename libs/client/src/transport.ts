import { createInbox, errors, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { MemoryError, type ErrorCode } from './errors';

/** Headers of one call, as the contract names them. */
export interface CallHeaders {
  requestId?: string;
  sessionId?: string;
  sessionToken?: string;
}

/** One attempt of one operation over NATS request/reply with plain JSON. */
export class NatsTransport {
  constructor(
    readonly nc: NatsConnection,
    private readonly prefix: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
  ) {}

  subject(op: string): string {
    return `${this.prefix}.v1.${op}`;
  }

  async request(op: string, body: unknown, h: CallHeaders, timeoutMs = this.timeoutMs): Promise<unknown> {
    let reply: Msg;
    try {
      reply = await this.nc.request(this.subject(op), JSON.stringify(body), { headers: this.headers(h), timeout: timeoutMs });
    } catch (e) {
      throw transportError(op, e);
    }
    return decodeReply(op, reply);
  }

  /** A streaming operation: each item to `onItem`, in order, until the `Mem-End: true` message. */
  async stream(op: string, body: unknown, h: CallHeaders, onItem: (item: unknown) => void, idleTimeoutMs = this.timeoutMs): Promise<void> {
    const inbox = createInbox();
    const sub = this.nc.subscribe(inbox);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        sub.unsubscribe();
      }, idleTimeoutMs);
    };
    try {
      this.nc.publish(this.subject(op), JSON.stringify(body), { headers: this.headers(h), reply: inbox });
      arm();
      for await (const m of sub) {
        if (m.headers?.get('Mem-End') === 'true') return;
        const item = decodeReply(op, m);
        arm();
        onItem(item);
      }
      if (timedOut) throw new MemoryError('UNAVAILABLE', `${op}: no reply from memsidecar within ${idleTimeoutMs} ms`, 'TIMEOUT', undefined, op);
      throw new MemoryError('UNAVAILABLE', `${op}: the stream ended without its last message`, undefined, undefined, op);
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
  }

  /** Fire-and-forget: the service carries it out; its failure is only logged and counted there. */
  publish(op: string, body: unknown, h: CallHeaders): void {
    this.nc.publish(this.subject(op), JSON.stringify(body), { headers: this.headers(h) });
  }

  private headers(h: CallHeaders): MsgHdrs {
    const out = natsHeaders();
    if (this.token) out.set('Authorization', `Bearer ${this.token}`);
    if (h.requestId) out.set('Mem-Request-Id', h.requestId);
    if (h.sessionId) out.set('Mem-Session-Id', h.sessionId);
    if (h.sessionToken) out.set('Mem-Session-Token', h.sessionToken);
    return out;
  }
}

function decodeReply(op: string, reply: Msg): unknown {
  const status = reply.headers?.get('Nats-Service-Error-Code');
  let body: unknown;
  try {
    body = JSON.parse(reply.string());
  } catch {
    throw new MemoryError(status ? codeOfStatus(Number(status)) : 'INTERNAL', `${op}: unreadable reply ${JSON.stringify(reply.string().slice(0, 200))}`, undefined, undefined, op);
  }
  if (!status) return body;
  const error = (body as { error?: { code: ErrorCode; message: string; reason?: string; details?: Record<string, unknown> } }).error;
  if (!error) throw new MemoryError(codeOfStatus(Number(status)), `${op}: ${reply.headers?.get('Nats-Service-Error') ?? 'error'}`, undefined, undefined, op);
  throw new MemoryError(error.code, error.message, error.reason, error.details, op);
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  412: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const codeOfStatus = (status: number): ErrorCode => STATUS_CODES[status] ?? 'INTERNAL';

/** No responders and timeouts are retryable (reason NO_RESPONDERS / TIMEOUT); a closed client is not. */
function transportError(op: string, e: unknown): MemoryError {
  if (e instanceof errors.RequestError && e.isNoResponders()) return new MemoryError('UNAVAILABLE', `${op}: no memsidecar instance is serving`, 'NO_RESPONDERS', undefined, op);
  if (e instanceof errors.NoRespondersError) return new MemoryError('UNAVAILABLE', `${op}: no memsidecar instance is serving`, 'NO_RESPONDERS', undefined, op);
  if (e instanceof errors.TimeoutError) return new MemoryError('UNAVAILABLE', `${op}: no reply from memsidecar in time`, 'TIMEOUT', undefined, op);
  if (e instanceof errors.ClosedConnectionError || e instanceof errors.DrainingConnectionError)
    return new MemoryError('UNAVAILABLE', `${op}: the NATS connection is closed`, 'CONNECTION_CLOSED', undefined, op);
  return new MemoryError('UNAVAILABLE', `${op}: ${(e as Error).message}`, undefined, undefined, op);
}
