import { context, propagation } from '@opentelemetry/api';
import { Empty, Match, headers, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import { MemError, operationSubject } from '@memsidecar/core';
import type { Dispatcher, RequestHeaders } from '@memsidecar/api';

export interface NatsApiLogger {
  log(message: string): void;
  warn(message: string): void;
}

const encoder = new TextEncoder();
const FLUSH_EVERY = 100;

/** Header values must stay on one line. */
const headerSafe = (text: string): string => text.replace(/[\r\n]+/g, ' ').slice(0, 1024);

const header = (msg: Msg, name: string): string | undefined => {
  const value = msg.headers?.get(name, Match.IgnoreCase);
  return value ? value : undefined;
};

export const natsHeaders = (msg: Msg): RequestHeaders => ({
  authorization: header(msg, 'Authorization'),
  requestId: header(msg, 'Mem-Request-Id'),
  sessionId: header(msg, 'Mem-Session-Id'),
  sessionToken: header(msg, 'Mem-Session-Token'),
  traceparent: header(msg, 'traceparent'),
  tracestate: header(msg, 'tracestate'),
});

/** Headers with the active span's `traceparent` (and `tracestate`); none while tracing is off. */
const traceHeaders = (): MsgHdrs | undefined => {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const entries = Object.entries(carrier);
  if (entries.length === 0) return undefined;
  const h = headers();
  for (const [name, value] of entries) h.set(name, value);
  return h;
};

/**
 * The agent-facing NATS API: a NATS micro service named `memsidecar` with one endpoint per
 * operation (`<prefix>.v1.<block>.<op>`), in a queue group, speaking plain JSON.
 */
export class NatsApi {
  private service: Service | null = null;
  private inFlight = 0;
  private idle: (() => void) | null = null;

  constructor(
    private readonly nc: NatsConnection,
    /** Where streamed replies go out (see `NatsLog.streamsNc`). */
    private readonly streamsNc: NatsConnection,
    private readonly dispatcher: Dispatcher,
    private readonly options: { prefix: string; queueGroup: string; version: string },
    private readonly logger: NatsApiLogger,
    private readonly onUnanswered: (op: string, code: string) => void,
  ) {}

  async start(): Promise<void> {
    const service = await new Svcm(this.nc).add({
      name: 'memsidecar',
      version: this.options.version,
      description: 'Memory service for LLM agents',
      queue: this.options.queueGroup,
    });
    for (const op of this.dispatcher.names) {
      service.addEndpoint(op.replace(/\./g, '_'), {
        subject: operationSubject(this.options.prefix, op),
        handler: (_err, msg) => void this.handle(op, msg),
        metadata: { op },
      });
    }
    this.service = service;
  }

  private async handle(op: string, msg: ServiceMsg): Promise<void> {
    this.inFlight++;
    try {
      if (this.dispatcher.isStreaming(op)) await this.stream(op, msg);
      else msg.respond(JSON.stringify(await this.dispatcher.dispatch(op, msg.data, natsHeaders(msg), 'nats')));
    } catch (e) {
      const error = e as MemError;
      if (msg.reply) {
        msg.respondError(error.status, headerSafe(error.message), encoder.encode(JSON.stringify({ error: error.toBody() })));
      } else {
        this.onUnanswered(op, error.code);
        this.logger.warn(`fire-and-forget ${op} failed: ${error.code} ${error.message}`);
      }
    } finally {
      if (--this.inFlight === 0) this.idle?.();
    }
  }

  /**
   * A streaming reply: one message per item to the requester's inbox, then an empty message with
   * `Mem-End: true`. Publishing never waits for the reader, so a slow or vanished one blocks nothing;
   * the operation's own bounds (`maxEvents`, `maxMs`) end the stream. Items leave through the
   * streams connection, which nats-server may slow down for a reader who stopped reading. While tracing, every message
   * carries the request span's `traceparent`, so a client can tie the stream to its trace.
   */
  private async stream(op: string, msg: ServiceMsg): Promise<void> {
    const reply = msg.reply;
    if (!reply) throw new MemError('INVALID_ARGUMENT', `${op} needs a reply subject`);
    let sent = 0;
    await this.dispatcher.dispatchStream(
      op,
      msg.data,
      natsHeaders(msg),
      'nats',
      async (item) => {
        this.streamsNc.publish(reply, JSON.stringify(item), { headers: traceHeaders() });
        // Lets a long stream's messages leave in step with the server rather than pile up here.
        if (++sent % FLUSH_EVERY === 0) await this.streamsNc.flush();
      },
      () => {
        const end = traceHeaders() ?? headers();
        end.set('Mem-End', 'true');
        this.streamsNc.publish(reply, Empty, { headers: end });
      },
    );
  }

  /** Stops taking requests, then waits (bounded) for the ones in flight to answer. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const service = this.service;
    if (!service) return;
    this.service = null;
    await service.stop().catch(() => undefined);
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
