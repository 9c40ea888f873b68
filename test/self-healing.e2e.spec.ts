import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient, RunningService, TcpProxy, createTestDatabase, startTestNats, until, type TestDatabase, type TestNats } from '@memsidecar/testing';

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
