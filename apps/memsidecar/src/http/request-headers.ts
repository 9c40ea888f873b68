import type { Request } from 'express';
import type { RequestHeaders } from '@memsidecar/api';

const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
};

/** The contract's request headers, and the caller's W3C trace context, of an HTTP request. */
export const httpHeaders = (req: Request): RequestHeaders => ({
  authorization: header(req, 'Authorization'),
  requestId: header(req, 'Mem-Request-Id'),
  sessionId: header(req, 'Mem-Session-Id'),
  sessionToken: header(req, 'Mem-Session-Token'),
  traceparent: header(req, 'traceparent'),
  tracestate: header(req, 'tracestate'),
});
