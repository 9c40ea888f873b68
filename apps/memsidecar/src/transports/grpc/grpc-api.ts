import { chmodSync, existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Method, Type } from 'protobufjs';
import { MemError, invalidArgument, isMemError } from '@memsidecar/core';
import type { Dispatcher, RequestHeaders } from '@memsidecar/api';
import type { GrpcConfig } from '@memsidecar/config';
import { jsonToMessage, loadPackageDefinition, loadReflection, messageToJson } from '@memsidecar/grpc';
import { grpcError } from './status';

/** `UploadBegin` → `upload.begin`: rpc names are the op names in PascalCase. */
const opName = (block: string, rpc: string): string => `${block}.${rpc.replace(/(?<=[a-z0-9])([A-Z])/g, '.$1').toLowerCase()}`;

const metadataValue = (md: grpc.Metadata, name: string): string | undefined => {
  const [value] = md.get(name);
  return value === undefined ? undefined : String(value);
};

export const grpcHeaders = (md: grpc.Metadata): RequestHeaders => ({
  authorization: metadataValue(md, 'authorization'),
  requestId: metadataValue(md, 'mem-request-id'),
  sessionId: metadataValue(md, 'mem-session-id'),
  sessionToken: metadataValue(md, 'mem-session-token'),
  traceparent: metadataValue(md, 'traceparent'),
  tracestate: metadataValue(md, 'tracestate'),
});

const asMemError = (e: unknown): MemError => (isMemError(e) ? e : new MemError('INTERNAL', 'internal error'));

/**
 * The gRPC API: every rpc of `proto/memsidecar/<block>/v1` served by the same dispatcher as NATS,
 * on TCP and optionally a unix socket, with optional TLS/mTLS, gRPC health and reflection. Errors
 * carry the canonical status, the contract code and reason in trailers and in
 * `grpc-status-details-bin` (google.rpc.ErrorInfo).
 */
export class GrpcApi {
  private server: grpc.Server | null = null;
  readonly addresses: string[] = [];

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly config: GrpcConfig,
  ) {}

  async start(): Promise<void> {
    const definition = loadPackageDefinition();
    const reflection = loadReflection();
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
    const served: string[] = [];
    for (const service of reflection.nestedArray.flatMap(allServices)) {
      const block = service.fullName.split('.')[2];
      const handlers: grpc.UntypedServiceImplementation = {};
      for (const method of service.methodsArray) handlers[method.name] = this.handler(block, method);
      const serviceDefinition = definition[service.fullName.slice(1)] as grpc.ServiceDefinition;
      server.addService(serviceDefinition, handlers);
      served.push(service.fullName.slice(1));
    }
    new HealthImplementation(Object.fromEntries(['', ...served].map((s) => [s, 'SERVING']))).addToServer(server);
    new ReflectionService(definition).addToServer(server);

    const credentials = this.credentials();
    if (this.config.addr) this.addresses.push(await bind(server, this.config.addr, credentials));
    if (this.config.socket) {
      removeStaleSocket(this.config.socket);
      await bind(server, `unix:${this.config.socket}`, credentials);
      chmodSync(this.config.socket, 0o660);
      this.addresses.push(`unix:${this.config.socket}`);
    }
    this.server = server;
  }

  /** Stops taking calls, lets the ones in flight finish (bounded), then closes. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, timeoutMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (this.config.socket) rmSync(this.config.socket, { force: true });
  }

  private handler(block: string, method: Method): grpc.UntypedHandleCall {
    const requestType = method.resolvedRequestType as Type;
    const responseType = method.resolvedResponseType as Type;
    if (method.requestStream) return this.clientStream(block, method, requestType, responseType);
    const op = opName(block, method.name);
    if (method.responseStream) {
      return (call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) => {
        const write = async (item: unknown) => {
          if (!call.write(jsonToMessage(item as Record<string, unknown>, responseType))) await new Promise((r) => call.once('drain', r));
        };
        this.dispatcher.dispatchStream(op, messageToJson(call.request, requestType), grpcHeaders(call.metadata), 'grpc', write).then(
          () => call.end(),
          (e) => call.emit('error', grpcError(asMemError(e))),
        );
      };
    }
    return (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      this.dispatcher.dispatch(op, messageToJson(call.request, requestType), grpcHeaders(call.metadata), 'grpc').then(
        (result) => callback(null, jsonToMessage(result as Record<string, unknown>, responseType)),
        (e) => callback(grpcError(asMemError(e))),
      );
    };
  }

  /**
   * Client streaming: `artifact.Upload` — a first `init` message (the fields of `upload.begin`, and
   * the expected `sha256`), then `chunk`s; served as upload.begin, one upload.append per chunk, and
   * upload.commit when the client half-closes.
   */
  private clientStream(block: string, method: Method, requestType: Type, responseType: Type): grpc.UntypedHandleCall {
    if (block !== 'artifact' || method.name !== 'Upload') throw new Error(`no client-streaming handler for ${block}.${method.name}`);
    return (call: grpc.ServerReadableStream<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const headers = grpcHeaders(call.metadata);
      const step = { ...headers, requestId: undefined };
      const run = async () => {
        let uploadId: string | undefined;
        let sha256: string | undefined;
        for await (const raw of call) {
          const message = messageToJson(raw as Record<string, unknown>, requestType) as { init?: Record<string, unknown>; chunk?: string };
          if (message.init) {
            if (uploadId) throw invalidArgument('init', 'only the first message may be init');
            ({ sha256, ...message.init } = message.init as { sha256?: string });
            uploadId = ((await this.dispatcher.dispatch('artifact.upload.begin', message.init, step, 'grpc')) as { uploadId: string }).uploadId;
          } else if (message.chunk !== undefined) {
            if (!uploadId) throw invalidArgument('init', 'the first message must be init');
            await this.dispatcher.dispatch('artifact.upload.append', { uploadId, data: message.chunk }, step, 'grpc');
          }
        }
        if (!uploadId) throw invalidArgument('init', 'is required');
        return this.dispatcher.dispatch('artifact.upload.commit', { uploadId, ...(sha256 ? { sha256 } : {}) }, headers, 'grpc');
      };
      run().then(
        (ref) => callback(null, jsonToMessage(ref as Record<string, unknown>, responseType)),
        (e) => callback(grpcError(asMemError(e))),
      );
    };
  }

  private credentials(): grpc.ServerCredentials {
    const tls = this.config.tls;
    if (!tls?.certFile || !tls.keyFile) return grpc.ServerCredentials.createInsecure();
    const ca = tls.clientCaFile ? readFileSync(tls.clientCaFile) : null;
    return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: readFileSync(tls.certFile), private_key: readFileSync(tls.keyFile) }], tls.requireClientCert ?? false);
  }
}

const allServices = (ns: import('protobufjs').ReflectionObject): import('protobufjs').Service[] => {
  const nested = (ns as import('protobufjs').Namespace).nestedArray ?? [];
  return nested.flatMap((child) => ('methodsArray' in child ? [child as import('protobufjs').Service] : allServices(child)));
};

function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) => (error ? reject(new Error(`gRPC cannot listen on ${address}: ${error.message}`)) : resolve(address.startsWith('unix:') ? address : address.replace(/:\d+$/, `:${port}`)))),
  );
}

/** A socket file left by a crashed predecessor is removed; anything else at that path is not ours to delete. */
function removeStaleSocket(path: string): void {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new Error(`gRPC socket path ${path} exists and is not a socket`);
  rmSync(path);
}
