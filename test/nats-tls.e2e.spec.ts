import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, headers } from '@nats-io/transport-node';
import { RunningService, createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@memsidecar/testing';

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCertificates(): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const dir = mkdtempSync(join(tmpdir(), 'memsidecar-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=memsidecar test CA');
  writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  writeFileSync(at('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1', '-extfile', `${who}.ext`);
  }
  return { ca: at('ca.pem'), serverCert: at('server.pem'), serverKey: at('server.key'), clientCert: at('client.pem'), clientKey: at('client.key') };
}

describe('nats tls - the service reaches a NATS server that requires TLS and client certificates', () => {
  const certs = makeCertificates();
  let nats: TestNats;
  let pg: TestDatabase;

  beforeAll(async () => {
    nats = await startTestNats(['--tlsverify', '--tlscert', certs.serverCert, '--tlskey', certs.serverKey, '--tlscacert', certs.ca]);
    pg = await createTestDatabase();
  });

  afterAll(async () => {
    await pg?.drop();
    await nats?.stop();
  });

  it('serves over mutual TLS with MEMSIDECAR_NATS_TLS_*, and NATS refuses a client without a certificate', async () => {
    const service = await RunningService.start({
      natsUrl: nats.url,
      databaseUrl: pg.url,
      env: { MEMSIDECAR_NATS_TLS_CA: certs.ca, MEMSIDECAR_NATS_TLS_CERT: certs.clientCert, MEMSIDECAR_NATS_TLS_KEY: certs.clientKey },
    });
    try {
      const nc = await connect({ servers: nats.url, tls: { caFile: certs.ca, certFile: certs.clientCert, keyFile: certs.clientKey } });
      const token = `Bearer ${service.adminToken()}`;
      const call = async (op: string, body: object) => {
        const h = headers();
        h.set('Authorization', token);
        return (await nc.request(`mem.v1.${op}`, JSON.stringify(body), { headers: h, timeout: 10_000 })).json<Record<string, unknown>>();
      };
      expect(await call('kv.put', { ns: 'tls', key: 'k', value: 'over tls' })).toMatchObject({ version: 1 });
      expect(await call('kv.get', { ns: 'tls', key: 'k' })).toMatchObject({ found: true, value: 'over tls' });
      await nc.close();
      await expect(connect({ servers: nats.url, tls: { caFile: certs.ca }, reconnect: false, timeout: 3000 })).rejects.toThrow();
    } finally {
      await service.stop();
    }
  });
});
