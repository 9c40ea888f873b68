import type { DispatchObserver, Outcome } from '@memsidecar/api';

/**
 * One JSON line per request, whatever the transport: who asked (tenant, agent, token id), what
 * (op, namespace, request and session ids), how it ended (code, reason) and how long it took;
 * while tracing is on, the request's trace and span id too. Bodies are never logged.
 */
export class AccessLog implements DispatchObserver {
  private pending: string[] = [];

  constructor(private readonly write: (lines: string) => void = (lines) => process.stdout.write(lines)) {}

  /** Lines of one turn of the event loop go out in one write: a busy service makes one syscall, not hundreds. */
  private flush = (): void => {
    const lines = this.pending.join('');
    this.pending = [];
    this.write(lines);
  };

  observe(o: Outcome): void {
    const line = {
      at: new Date().toISOString(),
      log: 'access',
      transport: o.transport,
      op: o.op,
      code: o.code,
      reason: o.reason,
      ms: Math.round(o.seconds * 1e6) / 1e3,
      tenant: o.tenant,
      agent: o.agent,
      tokenId: o.tokenId,
      ns: o.ns,
      requestId: o.requestId,
      sessionId: o.sessionId,
      traceId: o.traceId,
      spanId: o.spanId,
    };
    if (this.pending.push(`${JSON.stringify(line)}\n`) === 1) setImmediate(this.flush);
  }

  internalError(): void {
    // Metrics' logger records internal errors with their stack; the access line carries the code.
  }
}
