import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunningService, createTestDatabase, startTestNats, waitFor, type TestDatabase, type TestNats } from '@memsidecar/testing';

/**
 * audit.erase with two instances on one stream and one database, each driven over its own HTTP
 * gateway: what one erases, the other forgets too (its cached aggregate state and keys), without
 * a restart.
 */
describe('erasure - two instances', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let a: RunningService;
  let b: RunningService;

  beforeAll(async () => {
    nats = await startTestNats();
    pg = await createTestDatabase();
    a = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url });
    // The same data dir: the same signing key, so one token works on both.
    b = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url, dataDir: a.dataDir });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  const call = async (instance: RunningService, op: string, body: unknown) => {
    const response = await fetch(`${instance.httpUrl}/v1/${op.replace('.', '/')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.adminToken()}` },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('what one instance erases, the other forgets: reads find nothing, and its next write starts over', async () => {
    for (let i = 1; i <= 3; i++) expect((await call(a, 'kv.put', { ns: 'person', key: 'profile', value: { step: i } })).body).toMatchObject({ version: i });
    const tenant = (await call(a, 'audit.query', { ns: 'person' })).body.events[0].tenant;

    const receipt = await call(b, 'audit.erase', { subject: { tenant, ns: 'person' } });
    expect(receipt).toMatchObject({ status: 200, body: { subject: { tenant, ns: 'person' }, events: { count: 3 }, rows: { kv_entries: 1 } } });
    for (const instance of [a, b]) expect((await call(instance, 'kv.get', { ns: 'person', key: 'profile', minSeq: receipt.body.seq })).body).toEqual({ found: false });

    // Instance a held the key's state at version 3; it dropped it when b's marker reached it.
    const again = await waitFor(
      () => call(a, 'kv.put', { ns: 'person', key: 'profile', value: 'fresh', ifVersion: 0 }),
      (r) => r.status === 200,
      5_000,
    );
    expect(again.body).toMatchObject({ version: 1 });
    expect((await call(b, 'kv.get', { ns: 'person', key: 'profile', minSeq: again.body.seq })).body).toMatchObject({ found: true, value: 'fresh', version: 1 });
  });
});
