import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { protoPath as healthProto } from 'grpc-health-check';
import { RunningService, createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@memsidecar/testing';
import { LOADER_OPTIONS, loadPackageDefinition, protoRoot } from '@memsidecar/grpc';

const REFLECTION_PROTO = join(require.resolve('@grpc/reflection'), '..', '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');

const metadata = (token: string) => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};

const unary = <T = any>(client: any, method: string, request: object, md: grpc.Metadata): Promise<T> =>
  new Promise((resolve, reject) => client[method](request, md, (e: grpc.ServiceError | null, reply: T) => (e ? reject(e) : resolve(reply))));

function certificates(): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const dir = mkdtempSync(join(tmpdir(), 'memsidecar-grpc-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', '-extfile', `${who}.ext`);
  }
  const at = (f: string) => join(dir, f);
  return { ca: at('ca.pem'), serverCert: at('server.pem'), serverKey: at('server.key'), clientCert: at('client.pem'), clientKey: at('client.key') };
}

describe('grpc - streaming upload, health, reflection, error details, unix socket, TLS', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let service: RunningService;
  const socketDir = mkdtempSync(join(tmpdir(), 'memsidecar-sock-'));
  const socket = join(socketDir, 'memsidecar.sock');
  const loaded = grpc.loadPackageDefinition(loadPackageDefinition()) as any;
  let artifact: any;
  let kv: any;

  beforeAll(async () => {
    nats = await startTestNats();
    pg = await createTestDatabase();
    // A socket file left behind by a crashed predecessor.
    await new Promise<void>((resolve) => {
      const stale = createServer().listen(socket, () => stale.close(() => resolve()));
    });
    service = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url, env: { MEMSIDECAR_GRPC_SOCKET: socket } });
    artifact = new loaded.memsidecar.artifact.v1.Artifact(service.grpcAddr, grpc.credentials.createInsecure());
    kv = new loaded.memsidecar.kv.v1.Kv(`unix:${socket}`, grpc.credentials.createInsecure());
  });

  afterAll(async () => {
    artifact?.close();
    kv?.close();
    await service?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  it('uploads by client streaming (init, then chunks) with the digest checked', async () => {
    const bytes = Buffer.alloc(1_300_000, 7);
    for (let i = 0; i < bytes.length; i += 4099) bytes[i] = i % 251;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const upload = (digest: string) =>
      new Promise<any>((resolve, reject) => {
        const call = artifact.upload(metadata(service.adminToken()), (e: grpc.ServiceError | null, ref: any) => (e ? reject(e) : resolve(ref)));
        call.write({ init: { ns: 'grpc', id: `blob-${digest.slice(0, 4)}`, contentType: 'application/octet-stream', sha256: digest } });
        for (let i = 0; i < bytes.length; i += 256 * 1024) call.write({ chunk: bytes.subarray(i, i + 256 * 1024).toString('base64') });
        call.end();
      });
    const ref = await upload(sha256);
    expect(ref).toMatchObject({ size: bytes.length, sha256 });
    const refused = await upload('f'.repeat(64)).catch((e) => e);
    expect(refused.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.metadata.get('mem-error-reason')).toEqual(['DIGEST_MISMATCH']);

    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const read = artifact.read({ ns: 'grpc', id: ref.id }, metadata(service.adminToken()));
      read.on('data', (m: { data: string }) => chunks.push(Buffer.from(m.data, 'base64')));
      read.on('end', resolve);
      read.on('error', reject);
    });
    expect(createHash('sha256').update(Buffer.concat(chunks)).digest('hex')).toBe(sha256);
  });

  it('maps errors to the canonical status with google.rpc.ErrorInfo details carrying the reason', async () => {
    await unary(kv, 'put', { ns: 'grpc', key: 'k', value: { numberValue: 1 }, ifVersion: 0 }, metadata(service.adminToken()));
    const e: grpc.ServiceError = await unary(kv, 'put', { ns: 'grpc', key: 'k', value: { numberValue: 2 }, ifVersion: 0 }, metadata(service.adminToken())).catch((x: grpc.ServiceError) => x);
    expect(e.code).toBe(grpc.status.FAILED_PRECONDITION);
    const root = protobuf.Root.fromJSON({
      nested: {
        Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'Any', id: 3 } } },
        Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
        ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 }, metadata: { keyType: 'string', type: 'string', id: 3 } as any } },
      },
    });
    const status = root.lookupType('Status').decode(e.metadata.get('grpc-status-details-bin')[0] as Buffer) as any;
    expect(status.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(status.details[0].type_url).toBe('type.googleapis.com/google.rpc.ErrorInfo');
    expect(root.lookupType('ErrorInfo').decode(status.details[0].value)).toMatchObject({ reason: 'VERSION_MISMATCH', domain: 'memsidecar', metadata: { code: 'FAILED_PRECONDITION' } });
    const unauthenticated: grpc.ServiceError = await unary(kv, 'get', { ns: 'grpc', key: 'k' }, new grpc.Metadata()).catch((x: grpc.ServiceError) => x);
    expect(unauthenticated.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('items carry the provenance of their write, with transport grpc and the sources it was derived from', async () => {
    const md = () => metadata(service.adminToken());
    const source = await unary(kv, 'put', { ns: 'grpc-provenance', key: 'source', value: { numberValue: 1 } }, md());
    const derived = await unary(kv, 'put', { ns: 'grpc-provenance', key: 'derived', value: { numberValue: 2 }, derivedFrom: [source.seq] }, md());
    const got = await unary(kv, 'get', { ns: 'grpc-provenance', key: 'derived' }, md());
    // A standard loader adds the synthetic oneof names of proto3 optional fields (`_tokenId`), hence toMatchObject.
    expect(got.provenance).toMatchObject({ agent: 'admin', tokenId: 'admin', transport: 'grpc', seq: derived.seq, at: derived.updatedAt, derivedFrom: [source.seq] });
  });

  it('serves on a unix socket of mode 0660, replacing a stale socket file', async () => {
    expect(statSync(socket).isSocket()).toBe(true);
    expect(statSync(socket).mode & 0o777).toBe(0o660);
    expect(await unary(kv, 'get', { ns: 'grpc', key: 'k' }, metadata(service.adminToken()))).toMatchObject({ found: true, version: 1 });
  });

  it('answers gRPC health checks and server reflection', async () => {
    const health = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, LOADER_OPTIONS)) as any;
    const checker = new health.grpc.health.v1.Health(service.grpcAddr, grpc.credentials.createInsecure());
    expect(await unary(checker, 'check', { service: '' }, new grpc.Metadata())).toEqual({ status: 'SERVING' });
    expect(await unary(checker, 'check', { service: 'memsidecar.kv.v1.Kv' }, new grpc.Metadata())).toEqual({ status: 'SERVING' });
    checker.close();

    const reflection = grpc.loadPackageDefinition(protoLoader.loadSync(REFLECTION_PROTO, LOADER_OPTIONS)) as any;
    const client = new reflection.grpc.reflection.v1.ServerReflection(service.grpcAddr, grpc.credentials.createInsecure());
    const services = await new Promise<string[]>((resolve, reject) => {
      const call = client.serverReflectionInfo();
      call.on('data', (r: any) => {
        resolve(r.listServicesResponse.service.map((s: { name: string }) => s.name));
        call.end();
      });
      call.on('error', reject);
      call.write({ listServices: '' });
    });
    client.close();
    expect(services).toEqual(expect.arrayContaining(['memsidecar.kv.v1.Kv', 'memsidecar.episodic.v1.Episodic', 'memsidecar.artifact.v1.Artifact']));
  });

  it('serves TLS, and with requireClientCert only to clients with a certificate (mTLS)', async () => {
    const certs = certificates();
    const secured = await RunningService.start({
      natsUrl: nats.url,
      databaseUrl: pg.url,
      env: {
        MEMSIDECAR_GRPC_TLS_CERT: certs.serverCert,
        MEMSIDECAR_GRPC_TLS_KEY: certs.serverKey,
        MEMSIDECAR_GRPC_TLS_CLIENT_CA: certs.ca,
        MEMSIDECAR_GRPC_TLS_REQUIRE_CLIENT_CERT: 'true',
      },
    });
    const withCert = grpc.credentials.createSsl(readFileSync(certs.ca), readFileSync(certs.clientKey), readFileSync(certs.clientCert));
    const withoutCert = grpc.credentials.createSsl(readFileSync(certs.ca));
    const good = new loaded.memsidecar.kv.v1.Kv(secured.grpcAddr, withCert);
    const bad = new loaded.memsidecar.kv.v1.Kv(secured.grpcAddr, withoutCert);
    const plain = new loaded.memsidecar.kv.v1.Kv(secured.grpcAddr, grpc.credentials.createInsecure());
    try {
      expect(await unary(good, 'get', { ns: 'tls', key: 'k' }, metadata(secured.adminToken()))).toEqual({ found: false });
      const noCert: grpc.ServiceError = await unary(bad, 'get', { ns: 'tls', key: 'k' }, metadata(secured.adminToken())).catch((x: grpc.ServiceError) => x);
      expect(noCert.code).toBe(grpc.status.UNAVAILABLE);
      const noTls: grpc.ServiceError = await unary(plain, 'get', { ns: 'tls', key: 'k' }, metadata(secured.adminToken())).catch((x: grpc.ServiceError) => x);
      expect(noTls.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      for (const c of [good, bad, plain]) c.close();
      await secured.stop();
    }
  });

  it('every proto file loads with a standard loader', () => {
    expect(protoRoot()).toMatch(/proto$/);
    expect(Object.keys(loadPackageDefinition()).filter((k) => k.startsWith('memsidecar.'))).toEqual(expect.arrayContaining(['memsidecar.kv.v1.Kv']));
  });
});
