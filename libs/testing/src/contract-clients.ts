import * as grpc from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { jsonToMessage, loadPackageDefinition, loadReflection, messageToJson } from '@memsidecar/grpc';
import { NatsTestClient } from './client';

/** An error as every transport must report it: the contract's code and reason. */
export interface ContractError {
  code: string;
  reason?: string;
  message: string;
  details?: Record<string, unknown>;
}

export type ContractReply<T = any> = { ok: true; body: T; error?: undefined } | { ok: false; body?: undefined; error: ContractError };

export interface ContractCallOptions {
  token?: string | null;
  requestId?: string;
  sessionId?: string;
  sessionToken?: string;
}

/** One transport, driven with the contract's JSON bodies; each adapter speaks its transport natively. */
export interface ContractClient {
  readonly name: string;
  call<T = any>(op: string, body: object, o?: ContractCallOptions): Promise<ContractReply<T>>;
  stream<T = any>(op: string, body: object, o?: ContractCallOptions): Promise<{ items: T[]; error?: ContractError }>;
  close(): Promise<void>;
}

export async function natsContractClient(url: string, token: string): Promise<ContractClient> {
  const client = await NatsTestClient.connect(url, token);
  const options = (o: ContractCallOptions = {}) => ({
    token: o.token === null ? '' : o.token,
    requestId: o.requestId,
    headers: { ...(o.sessionId ? { 'Mem-Session-Id': o.sessionId } : {}), ...(o.sessionToken ? { 'Mem-Session-Token': o.sessionToken } : {}) },
  });
  return {
    name: 'nats',
    async call(op, body, o) {
      const reply = await client.call(op, body, options(o));
      return reply.ok ? { ok: true, body: reply.body } : { ok: false, error: reply.error! };
    },
    stream: (op, body, o) => client.stream(op, body, options(o)),
    close: () => client.close(),
  };
}

export function httpContractClient(baseUrl: string, token: string): ContractClient {
  const headers = (o: ContractCallOptions = {}) => {
    const h: Record<string, string> = { 'content-type': 'application/json' };
    const t = o.token === undefined ? token : o.token;
    if (t) h.authorization = `Bearer ${t}`;
    if (o.requestId) h['mem-request-id'] = o.requestId;
    if (o.sessionId) h['mem-session-id'] = o.sessionId;
    if (o.sessionToken) h['mem-session-token'] = o.sessionToken;
    return h;
  };
  const post = (op: string, body: object, o?: ContractCallOptions) =>
    fetch(`${baseUrl}/v1/${op.replace('.', '/')}`, { method: 'POST', headers: headers(o), body: JSON.stringify(body) });
  return {
    name: 'http',
    async call(op, body, o) {
      const response = await post(op, body, o);
      const json = (await response.json()) as any;
      return response.ok ? { ok: true, body: json } : { ok: false, error: json.error };
    },
    async stream(op, body, o) {
      const response = await post(op, body, o);
      if (!response.ok) return { items: [], error: ((await response.json()) as any).error };
      const lines = (await response.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
      const failed = lines.findIndex((l) => l.error);
      return failed < 0 ? { items: lines } : { items: lines.slice(0, failed), error: lines[failed].error };
    },
    close: async () => undefined,
  };
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const CODE_OF_STATUS: Record<number, string> = { 3: 'INVALID_ARGUMENT', 16: 'UNAUTHENTICATED', 7: 'PERMISSION_DENIED', 5: 'NOT_FOUND', 9: 'FAILED_PRECONDITION', 8: 'RESOURCE_EXHAUSTED', 13: 'INTERNAL', 14: 'UNAVAILABLE', 4: 'DEADLINE_EXCEEDED' };

/** Drops proto-loader's synthetic `_field` keys of proto3 optionals, so replies compare as JSON. */
const plain = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(plain) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('_')).map(([k, v]) => [k, plain(v)])) : value;

/**
 * A client generated from proto/ by @grpc/proto-loader, over TCP or a unix socket. JSON bodies are
 * turned into the proto messages (google.protobuf.Value for any-JSON fields) and back.
 */
export function grpcContractClient(name: string, address: string, token: string, credentials = grpc.credentials.createInsecure()): ContractClient {
  const definition = loadPackageDefinition();
  const reflection = loadReflection();
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const stubs = new Map<string, any>();
  const target = (op: string) => {
    const [block, ...rest] = op.split('.');
    const service = `memsidecar.${block}.v1.${pascal(block)}`;
    if (!stubs.has(service)) stubs.set(service, new loaded.memsidecar[block].v1[pascal(block)](address, credentials));
    const method = rest.map(pascal).join('');
    const rpc = reflection.lookupService(service).methods[method];
    return { stub: stubs.get(service), method: method.charAt(0).toLowerCase() + method.slice(1), request: rpc.resolvedRequestType as Type, response: rpc.resolvedResponseType as Type };
  };
  const metadata = (o: ContractCallOptions = {}) => {
    const md = new grpc.Metadata();
    const t = o.token === undefined ? token : o.token;
    if (t) md.set('authorization', `Bearer ${t}`);
    if (o.requestId) md.set('mem-request-id', o.requestId);
    if (o.sessionId) md.set('mem-session-id', o.sessionId);
    if (o.sessionToken) md.set('mem-session-token', o.sessionToken);
    return md;
  };
  const toError = (e: grpc.ServiceError): ContractError => {
    const code = String(e.metadata?.get('mem-error-code')[0] ?? CODE_OF_STATUS[e.code] ?? 'INTERNAL');
    if (CODE_OF_STATUS[e.code] !== code) throw new Error(`gRPC status ${e.code} does not match contract code ${code}`);
    const reason = e.metadata?.get('mem-error-reason')[0];
    const details = e.metadata?.get('mem-error-details')[0];
    return { code, message: e.details, ...(reason ? { reason: String(reason) } : {}), ...(details ? { details: JSON.parse(String(details)) } : {}) };
  };
  return {
    name,
    call(op, body, o) {
      const t = target(op);
      return new Promise((resolve) =>
        t.stub[t.method](jsonToMessage(body as Record<string, unknown>, t.request), metadata(o), (e: grpc.ServiceError | null, reply: any) =>
          resolve(e ? { ok: false, error: toError(e) } : { ok: true, body: plain(messageToJson(reply, t.response)) as any }),
        ),
      );
    },
    stream(op, body, o) {
      const t = target(op);
      const items: any[] = [];
      return new Promise((resolve) => {
        const call = t.stub[t.method](jsonToMessage(body as Record<string, unknown>, t.request), metadata(o));
        call.on('data', (m: any) => items.push(plain(messageToJson(m, t.response))));
        call.on('error', (e: grpc.ServiceError) => resolve({ items, error: toError(e) }));
        call.on('end', () => resolve({ items }));
      });
    },
    async close() {
      // `close` on the Session stub is the rpc; the channel is closed through the base class.
      for (const stub of stubs.values()) grpc.Client.prototype.close.call(stub);
    },
  };
}

