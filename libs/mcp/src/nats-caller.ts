import { headers, type NatsConnection } from '@nats-io/transport-node';
import { MemError, operationSubject, type ErrorBody } from '@memsidecar/core';
import type { OperationCaller } from './tools';

/** Calls operations on a running service over NATS, as any agent would, with one token. */
export function natsCaller(nc: NatsConnection, prefix: string, token: string, timeoutMs = 20_000): OperationCaller {
  return async (op, body) => {
    const h = headers();
    h.set('Authorization', `Bearer ${token}`);
    const reply = await nc.request(operationSubject(prefix, op), JSON.stringify(body), { headers: h, timeout: timeoutMs }).catch((e: Error) => {
      throw new MemError('UNAVAILABLE', `memsidecar did not answer ${op}: ${e.message}`);
    });
    const parsed = JSON.parse(reply.string());
    if (reply.headers?.get('Nats-Service-Error-Code')) {
      const error = parsed.error as ErrorBody;
      throw new MemError(error.code, error.message, error.reason, error.details);
    }
    return parsed;
  };
}
