import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient, RunningService, TcpProxy, createTestDatabase, startTestNats, until, type TestDatabase, type TestNats } from '@memsidecar/testing';
import { memctlFor, serviceFixture } from './support/fixture';

describe('self-healing - the read-model database goes away and comes back', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let proxy: TcpProxy;
  let service: RunningService;
  let client: NatsTestClient;

  beforeAll(async () => {
    nats = await startTestNats();
    pg = await createTestDatabase();
    const url = new URL(pg.url);
    proxy = await TcpProxy.start(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    service = await RunningService.start({ natsUrl: nats.url, databaseUrl: url.toString(), auth: 'none', env: { MEMSIDECAR_ACCESS_LOG: 'off' } });
    client = await NatsTestClient.connect(nats.url);
  });

  afterAll(async () => {
    await client?.nc.close();
    await service?.stop();
    await proxy?.close();
    await pg?.drop();
    await nats?.stop();
  });

  const readyz = async () => (await fetch(`${service.httpUrl}/readyz`)).status;

  it('stays up, answers reads UNAVAILABLE, keeps request-id writes working, turns unready, and recovers by itself', async () => {
    await client.ok('kv.put', { ns: 'heal', key: 'before', value: 1 }, { requestId: 'heal-1' });
    expect(await readyz()).toBe(200);

    proxy.cut();
    const read = await client.call('kv.get', { ns: 'heal', key: 'before' });
    expect(read.error?.code).toBe('UNAVAILABLE');
    await until(async () => (await readyz()) === 503, 5_000);
    const body = (await (await fetch(`${service.httpUrl}/readyz`)).json()) as { checks: { database: string } };
    expect(body.checks.database).not.toBe('ok');

    // The log answers for the request ledger: a retry gets its original result, a new id is applied once.
    const retried = await client.ok('kv.put', { ns: 'heal', key: 'before', value: 1 }, { requestId: 'heal-1' });
    expect(retried.version).toBe(1);
    const during = await client.ok('kv.put', { ns: 'heal', key: 'during', value: 2 }, { requestId: 'heal-2' });
    const again = await client.ok('kv.put', { ns: 'heal', key: 'during', value: 2 }, { requestId: 'heal-2' });
    expect(again.seq).toBe(during.seq);
    expect((await client.call('kv.get', { ns: 'heal', key: 'during', minSeq: during.seq })).error?.code).toBe('UNAVAILABLE');
    expect(service.running).toBe(true);

    proxy.restore();
    await until(async () => (await readyz()) === 200, 15_000);
    const got = await client.ok('kv.get', { ns: 'heal', key: 'during', minSeq: during.seq });
    expect(got).toMatchObject({ found: true, value: 2, version: 1 });
    expect(service.running).toBe(true);
    expect(service.logs.match(/database unreachable/g)?.length).toBe(1);
    expect(service.logs).toMatch(/database reachable again/);
  }, 60_000);
});

describe('self-healing - an event a read model cannot apply', () => {
  const f = serviceFixture('postgres');
  const { memctl, memctlOk } = memctlFor(f);
  const readyz = async () => (await fetch(`${f.service.httpUrl}/readyz`)).json() as Promise<{ status: string; checks: { projections: Record<string, { state: string }> } }>;
  const onDatabase = async (sql: string) => {
    const client = new Client({ connectionString: f.pg!.url });
    await client.connect();
    await client.query(sql).finally(() => client.end());
  };

  it('is parked: readiness fails, memctl lists it, and skip or retry resolve it on the running service', async () => {
    // A constraint the projection's writes break: a failure that retrying cannot cure.
    await onDatabase(`ALTER TABLE kv_entries ADD CONSTRAINT no_poison CHECK (key NOT LIKE 'poison%')`);
    const poison = await f.client.ok('kv.put', { ns: 'park', key: 'poison-1', value: 1 });
    const later = await f.client.ok('kv.put', { ns: 'park', key: 'later-1', value: 2 });
    await until(async () => (await readyz()).checks.projections.kv_entries.state === 'parked', 20_000);
    expect((await readyz()).status).toBe('not ready');
    const read = await f.client.call('kv.get', { ns: 'park', key: 'later-1', minSeq: later.seq });
    expect(read.error).toMatchObject({ code: 'UNAVAILABLE', reason: 'READ_MODEL_PARKED' });
    expect((await f.client.ok('episodic.append', { ns: 'park', type: 'note' })).seq).toBeGreaterThan(later.seq);

    const listed = await memctlOk('projections', 'errors');
    expect(listed.stdout).toContain(`kv_entries  seq ${poison.seq}  kv.value_set  open`);
    expect(listed.stdout).toContain('no_poison');
    expect((await memctl('projections', 'skip', 'nope')).code).toBe(2);

    await memctlOk('projections', 'skip', 'kv_entries');
    // Running instances look for an operator's word every second.
    await until(async () => (await readyz()).checks.projections.kv_entries.state !== 'parked', 10_000);
    expect(await f.client.ok('kv.get', { ns: 'park', key: 'later-1', minSeq: later.seq })).toMatchObject({ found: true, value: 2 });
    expect(await f.client.ok('kv.get', { ns: 'park', key: 'poison-1' })).toMatchObject({ found: false });
    expect((await memctlOk('projections', 'errors', '--all')).stdout).toContain(`kv_entries  seq ${poison.seq}  kv.value_set  skipped`);
    await until(async () => (await readyz()).status === 'ready', 10_000);

    // The same again, resolved by a fix and a retry instead: the event is applied after all.
    const second = await f.client.ok('kv.put', { ns: 'park', key: 'poison-2', value: 3 });
    await until(async () => (await readyz()).checks.projections.kv_entries.state === 'parked', 20_000);
    await onDatabase(`ALTER TABLE kv_entries DROP CONSTRAINT no_poison`);
    await memctlOk('projections', 'retry', 'kv_entries', '--seq', String(second.seq));
    await until(async () => (await readyz()).checks.projections.kv_entries.state !== 'parked', 10_000);
    expect(await f.client.ok('kv.get', { ns: 'park', key: 'poison-2', minSeq: second.seq })).toMatchObject({ found: true, value: 3 });
    expect((await memctlOk('projections', 'errors', '--all', '--json')).stdout).toContain('"status":"resolved"');
    expect(f.service.logs).toContain(`read model kv_entries stopped at seq ${poison.seq}`);
  }, 90_000);
});
