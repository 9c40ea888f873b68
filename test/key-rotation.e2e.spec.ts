import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, publicKeyHex } from '@memsidecar/auth';
import { NatsTestClient, RunningService, createTestDatabase, startTestNats, waitFor, type TestDatabase, type TestNats } from '@memsidecar/testing';

describe('key rotation - trusted keys reload without a restart', () => {
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
});
