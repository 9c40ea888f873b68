import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient, RunningService, createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@memsidecar/testing';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');

const snapshot = async (client: NatsTestClient, ns: string) => {
  const items = [];
  let startAfter: string | undefined;
  do {
    const page = await client.ok('kv.list', { ns, includeValues: true, limit: 1000, ...(startAfter ? { startAfter } : {}) });
    items.push(...page.items);
    startAfter = page.nextStartAfter ?? undefined;
  } while (startAfter);
  return items;
};

describe('durability - restarts and rebuilds on Postgres', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let service: RunningService;

  beforeAll(async () => {
    nats = await startTestNats();
    pg = await createTestDatabase();
    service = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url });
  });

  afterAll(async () => {
    await service?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  it('every acknowledged write survives a SIGKILL and a restart', async () => {
    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    const acknowledged = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 20 }, async (_, c) => {
        for (let i = 0; i < 15; i++) {
          const key = `c${c}/k${i % 5}`;
          const { version } = await client.ok('kv.put', { ns: 'durable', key, value: { c, i } });
          acknowledged.set(key, version);
        }
      }),
    );
    await service.kill();
    service = await service.restart();
    for (const [key, version] of acknowledged) {
      expect(await client.ok('kv.get', { ns: 'durable', key }), key).toMatchObject({ found: true, version });
    }
    await client.close();
  });

  it('dropping the read models and rebuilding from the log gives the same state', async () => {
    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    await client.ok('kv.delete', { ns: 'durable', key: 'c0/k0' });
    await client.ok('kv.put', { ns: 'durable', key: 'ttl', value: 1, ttlMs: 3_600_000 });
    const first = await client.ok('episodic.append', { ns: 'durable', type: 'note', payload: 1, dedupKey: 'a' });
    await client.ok('episodic.append', { ns: 'durable', type: 'note', payload: 2, supersedes: [first.id] });
    await client.ok('episodic.append', { ns: 'durable', type: 'note', payload: 3 });
    await client.ok('episodic.expire', { ns: 'durable', beforeCursor: 3, action: 'hard', maxRows: 1 });
    const lease = await client.ok('lease.acquire', { ns: 'durable', key: 'lock', ttlMs: 3_600_000 });
    const session = await client.ok('session.open', { sessionId: 'durable-session' });
    await client.ok('session.checkpoint', { sessionId: 'durable-session', sessionToken: session.sessionToken, state: { step: 3 }, turn: 3 });
    const otherState = async () => ({
      events: await client.ok('episodic.range', { ns: 'durable', includeDeleted: true }),
      leases: await client.ok('lease.list', { ns: 'durable' }),
      session: await client.ok('session.get', { sessionId: 'durable-session' }),
    });
    const before = await snapshot(client, 'durable');
    const beforeOthers = await otherState();
    expect(beforeOthers.leases.items).toEqual([expect.objectContaining({ key: 'lock', holderId: lease.holderId })]);
    await service.stop();
    const env = { ...process.env, MEMSIDECAR_NATS_URL: nats.url, MEMSIDECAR_DATABASE_URL: pg.url, MEMSIDECAR_DATA_DIR: service.dataDir };
    const { stdout } = await run(process.execPath, [MEMCTL, 'projections', 'rebuild'], { env });
    for (const model of ['kv_entries', 'episodic_events', 'lease_entries', 'session_entries']) expect(stdout).toMatch(new RegExp(`${model}: rebuilt up to seq \\d+`));
    service = await service.restart();
    expect(await snapshot(client, 'durable')).toEqual(before);
    expect(await otherState()).toEqual(beforeOthers);
    await client.close();
  });
});

describe('durability - embedded defaults', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'memsidecar-embedded-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts its own nats-server and PGlite, writes nats.url and admin.token, and keeps state across restarts', async () => {
    let service = await RunningService.start({ natsUrl: '', dataDir });
    const url = readFileSync(join(dataDir, 'nats.url'), 'utf8').trim();
    expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    expect(service.logs).toContain('admin token');
    let client = await NatsTestClient.connect(url, service.adminToken());
    const put = await client.ok('kv.put', { ns: 'embedded', key: 'k', value: 'kept' });
    await client.close();
    expect(await service.stop()).toBe(0);
    expect(existsSync(join(dataDir, 'nats.url'))).toBe(false);

    service = await RunningService.start({ natsUrl: '', dataDir });
    client = await NatsTestClient.connect(readFileSync(join(dataDir, 'nats.url'), 'utf8').trim(), service.adminToken());
    expect(await client.ok('kv.get', { ns: 'embedded', key: 'k' })).toMatchObject({ value: 'kept', version: put.version });
    await client.close();
    await service.kill();

    service = await RunningService.start({ natsUrl: '', dataDir });
    client = await NatsTestClient.connect(readFileSync(join(dataDir, 'nats.url'), 'utf8').trim(), service.adminToken());
    expect(await client.ok('kv.get', { ns: 'embedded', key: 'k' })).toMatchObject({ value: 'kept' });
    // memctl joins the running embedded server instead of replacing it, and refuses to open PGlite under it.
    const refused = await run(process.execPath, [MEMCTL, 'projections', 'status'], { env: { ...process.env, MEMSIDECAR_DATA_DIR: dataDir } }).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('stop it first');
    expect(await client.ok('kv.get', { ns: 'embedded', key: 'k' })).toMatchObject({ value: 'kept' });
    await client.close();
    await service.stop();
  });

  it('says which package to install when nats-server is missing', async () => {
    const failed = RunningService.start({ natsUrl: '', dataDir: mkdtempSync(join(tmpdir(), 'memsidecar-nobin-')), env: { MEMSIDECAR_NATS_SERVER_BIN: '/nonexistent/nats-server' } });
    await expect(failed).rejects.toThrow(/apt-get install nats-server/);
  });
});
