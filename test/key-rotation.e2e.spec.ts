import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, publicKeyHex } from '@memsidecar/auth';
import { NatsTestClient, RunningService, createTestDatabase, startTestNats, waitFor, type TestDatabase, type TestNats } from '@memsidecar/testing';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');

describe('keys and tokens - rotation without a restart, revocation, inspection', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let service: RunningService;
  let client: NatsTestClient;
  const configFile = join(mkdtempSync(join(tmpdir(), 'memsidecar-config-')), 'memsidecar.yaml');
  // A YAML flow sequence is a JSON array.
  const writeKeys = (keys: string[]) => writeFileSync(configFile, `auth:\n  publicKeys: ${JSON.stringify(keys)}\n`);
  const next = generateKeyPairSync('ed25519');
  const rotated = issueToken({ tenant: 'default', agent: 'rotated', namespaces: ['*'], ops: ['*'], ttlMs: 600_000 }, next.privateKey);
  const authorized = async () => (await client.call('kv.get', { ns: 'rot', key: 'k' }, { token: rotated })).ok;

  beforeAll(async () => {
    writeKeys([]);
    nats = await startTestNats();
    pg = await createTestDatabase();
    service = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url, env: { MEMSIDECAR_CONFIG: configFile } });
    client = await NatsTestClient.connect(nats.url);
  });

  afterAll(async () => {
    await client?.close();
    await service?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  it('a key added to the config file is trusted after SIGHUP (and on the file change), and dropped again', async () => {
    expect(await authorized()).toBe(false);
    writeKeys([publicKeyHex(next.publicKey)]);
    service.signal('SIGHUP');
    expect(await waitFor(authorized, (ok) => ok, 5000)).toBe(true);
    // The service's own key stays trusted through the rotation.
    expect((await client.call('kv.get', { ns: 'rot', key: 'k' }, { token: service.adminToken() })).ok).toBe(true);

    writeKeys(['not-a-key']);
    service.signal('SIGHUP');
    await waitFor(async () => service.logs, (l) => l.includes('keeping the current trusted keys'), 5000);
    expect(service.logs).toContain('keeping the current trusted keys');
    expect(await authorized()).toBe(true);

    writeKeys([]);
    service.signal('SIGHUP');
    expect(await waitFor(authorized, (ok) => !ok, 5000)).toBe(false);
  });

  it('a revoked token id is refused by every instance, also ones started later', async () => {
    const token = service.token({ tenant: 'default', agent: 'leaky', namespaces: ['*'], ops: ['*'], tokenId: 'revoke-me' });
    expect((await client.call('kv.get', { ns: 'rot', key: 'k' }, { token })).ok).toBe(true);
    const env = { ...process.env, MEMSIDECAR_NATS_URL: nats.url, MEMSIDECAR_DATABASE_URL: pg.url, MEMSIDECAR_DATA_DIR: service.dataDir, MEMSIDECAR_CONFIG: configFile };
    expect((await run(process.execPath, [MEMCTL, 'token', 'revoke', '--id', 'revoke-me', '--reason', 'leaked'], { env })).stdout).toContain('revoked');
    const refused = await waitFor(() => client.call('kv.get', { ns: 'rot', key: 'k' }, { token }), (r) => !r.ok, 5000);
    expect(refused.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'token revoked' });
    expect((await run(process.execPath, [MEMCTL, 'token', 'revoke', '--id', 'revoke-me'], { env })).stdout).toContain('already revoked');
    const second = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url, dataDir: service.dataDir });
    try {
      const viaHttp = await fetch(`${second.httpUrl}/v1/kv/get`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{"ns":"rot","key":"k"}' });
      expect(viaHttp.status).toBe(401);
    } finally {
      await second.stop();
    }
    const inspected = JSON.parse((await run(process.execPath, [MEMCTL, 'token', 'inspect', token], { env })).stdout);
    expect(inspected).toMatchObject({ tenant: 'default', agent: 'leaky', tokenId: 'revoke-me', ops: ['*'] });
  });
});
