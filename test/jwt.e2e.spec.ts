import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolve } from 'node:path';
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient, RunningService, createTestDatabase, startTestNats, waitFor, type TestDatabase, type TestNats } from '@memsidecar/testing';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');
const ISSUER = 'https://idp.example';
const AUDIENCE = 'memsidecar';

interface Scope {
  tenant?: string;
  ns: string[];
  ops: string[];
  jti?: string;
}

/** A JWT as an identity provider would sign it, with jose. */
const signJwt = (key: CryptoKey, alg: 'RS256' | 'EdDSA', scope: Scope) => {
  const jwt = new SignJWT({ tenant: scope.tenant ?? 'default', ns: scope.ns, ops: scope.ops })
    .setProtectedHeader({ alg })
    .setSubject('jwt-agent')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('10m');
  return (scope.jti ? jwt.setJti(scope.jti) : jwt).sign(key);
};

describe('auth - JWTs beside PASETO tokens, over NATS and HTTP', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let service: RunningService;
  let client: NatsTestClient;
  let rsa: CryptoKey;
  let ed: CryptoKey;
  let untrusted: CryptoKey;

  beforeAll(async () => {
    const [rsaPair, edPair, otherPair] = await Promise.all([
      generateKeyPair('RS256', { extractable: true }),
      generateKeyPair('EdDSA', { extractable: true }),
      generateKeyPair('RS256', { extractable: true }),
    ]);
    [rsa, ed, untrusted] = [rsaPair.privateKey, edPair.privateKey, otherPair.privateKey];
    const publicKeys = [await exportSPKI(rsaPair.publicKey), await exportSPKI(edPair.publicKey)].join(',');
    nats = await startTestNats();
    pg = await createTestDatabase();
    service = await RunningService.start({
      natsUrl: nats.url,
      databaseUrl: pg.url,
      env: { MEMSIDECAR_JWT_PUBLIC_KEYS: publicKeys, MEMSIDECAR_JWT_ISSUER: ISSUER, MEMSIDECAR_JWT_AUDIENCE: AUDIENCE },
    });
    client = await NatsTestClient.connect(nats.url);
  });

  afterAll(async () => {
    await client?.close();
    await service?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  const post = (op: string, body: unknown, token: string) =>
    fetch(`${service.httpUrl}/v1/${op}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });

  it('a JWT-authenticated kv.put and kv.get work over NATS and HTTP, with RS256 and EdDSA', async () => {
    for (const [key, alg] of [
      [rsa, 'RS256'],
      [ed, 'EdDSA'],
    ] as const) {
      const token = await signJwt(key, alg, { ns: ['kv/jwt'], ops: ['kv.*'] });
      expect((await client.ok('kv.put', { ns: 'jwt', key: alg, value: { by: alg } }, { token })).version).toBe(1);
      expect(await client.ok('kv.get', { ns: 'jwt', key: alg }, { token })).toMatchObject({ found: true, value: { by: alg } });
      const viaHttp = await post('kv/get', { ns: 'jwt', key: alg }, token);
      expect(viaHttp.status).toBe(200);
      expect(await viaHttp.json()).toMatchObject({ found: true, value: { by: alg } });
    }
    // The tenant comes from the token: the admin token of tenant "default" sees the same key.
    expect(await client.ok('kv.get', { ns: 'jwt', key: 'RS256' }, { token: service.adminToken() })).toMatchObject({ found: true });
  });

  it('a JWT with a narrower scope is PERMISSION_DENIED outside it', async () => {
    const readOnly = await signJwt(rsa, 'RS256', { ns: ['kv/jwt'], ops: ['kv.get'] });
    const put = await client.call('kv.put', { ns: 'jwt', key: 'RS256', value: 'no' }, { token: readOnly });
    expect(put.error).toMatchObject({ code: 'PERMISSION_DENIED' });
    const elsewhere = await signJwt(ed, 'EdDSA', { ns: ['kv/other'], ops: ['kv.*'] });
    expect((await client.call('kv.get', { ns: 'jwt', key: 'RS256' }, { token: elsewhere })).error).toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await post('kv/get', { ns: 'jwt', key: 'RS256' }, elsewhere)).status).toBe(403);
  });

  it('an untrusted, unsigned or revoked JWT is UNAUTHENTICATED', async () => {
    const foreign = await signJwt(untrusted, 'RS256', { ns: ['*'], ops: ['*'] });
    expect((await client.call('kv.get', { ns: 'jwt', key: 'RS256' }, { token: foreign })).error).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await post('kv/get', { ns: 'jwt', key: 'RS256' }, foreign)).status).toBe(401);

    const [, payload] = foreign.split('.');
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
    expect((await client.call('kv.get', { ns: 'jwt', key: 'RS256' }, { token: unsigned })).error).toMatchObject({
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('alg "none" is not accepted'),
    });

    const leaked = await signJwt(ed, 'EdDSA', { ns: ['kv/*'], ops: ['kv.*'], jti: 'jwt-leaked' });
    expect((await client.call('kv.get', { ns: 'jwt', key: 'RS256' }, { token: leaked })).ok).toBe(true);
    const env = { ...process.env, MEMSIDECAR_NATS_URL: nats.url, MEMSIDECAR_DATABASE_URL: pg.url, MEMSIDECAR_DATA_DIR: service.dataDir };
    await run(process.execPath, [MEMCTL, 'token', 'revoke', '--id', 'jwt-leaked'], { env });
    const refused = await waitFor(() => client.call('kv.get', { ns: 'jwt', key: 'RS256' }, { token: leaked }), (r) => !r.ok, 5000);
    expect(refused.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'token revoked' });
  });
});
