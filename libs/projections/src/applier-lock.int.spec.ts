import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AggregateRuntime } from '@memsidecar/event-store';
import { kvAggregate, kvProjection, kvBlock } from '@memsidecar/kv';
import { openIntegrationInfra, type IntegrationInfra } from '@memsidecar/testing';
import { ProjectionRunner, ReadModels, withRequestLedger } from './index';
import { ApplierLock } from './applier-lock';

const quiet = { log: () => {}, warn: () => {}, error: () => {} };

describe('read models of two instances sharing one Postgres database', () => {
  let infra: IntegrationInfra;
  let runtime: AggregateRuntime;
  let applier: ReadModels;
  let standby: ReadModels;
  let n = 0;
  let applierStopped = false;

  const instance = () =>
    new ReadModels(
      withRequestLedger([kvProjection]).map((p) => new ProjectionRunner(p, infra.store, infra.db, quiet)),
      infra.db,
      5_000,
      { log: infra.store, logger: quiet },
    );
  const kv = (readModels: ReadModels) => readModels.runners.find((r) => r.name === kvProjection.name)!;
  const put = async () => (await runtime.handle(kvAggregate, { tenant: 't', ns: 'n', entity: `k${++n % 7}` }, { type: 'PutValue', value: n }, { now: new Date(), tenant: 't', agent: 'a' })).event!.seq;

  beforeAll(async () => {
    infra = await openIntegrationInfra('postgres', { entities: kvBlock.entities, migrations: kvBlock.migrations });
    runtime = new AggregateRuntime(infra.store, { find: async () => null }, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 });
    applier = instance();
    await applier.start();
    standby = instance();
    await standby.start();
  });

  afterAll(async () => {
    await standby?.stop();
    if (!applierStopped) await applier?.stop();
    await infra?.close();
  });

  it('one applies in the background; the other follows its checkpoints without applying anything itself', async () => {
    expect([applier.applier, standby.applier]).toEqual([true, false]);
    let last = 0;
    for (let i = 0; i < 40; i++) last = await put();
    await expect.poll(() => kv(applier).applied, { timeout: 10_000 }).toBe(last);
    await expect.poll(() => kv(standby).applied, { timeout: 10_000 }).toBe(last);
    expect(kv(standby).stats.batches).toBe(0);
    expect(kv(standby).standby).toBe(true);
    expect(kv(applier).state.state).toBe('current');
    expect(kv(standby).state.state).toBe('current');
  });

  it('a read on the standby waiting for a sequence is served at once', async () => {
    const seq = await put();
    await standby.ready('kv', seq, 5_000);
    const rows = await infra.db.query<{ seq: string }>(`SELECT max(seq) AS seq FROM kv_entries`);
    expect(Number(rows[0].seq)).toBe(seq);
  });

  it('when the applier goes, the standby takes its lock and applies what follows', async () => {
    await applier.stop();
    applierStopped = true;
    await expect.poll(() => standby.applier, { timeout: 10_000 }).toBe(true);
    expect(kv(standby).standby).toBe(false);
    const before = kv(standby).stats.batches;
    const seq = await put();
    await expect.poll(() => kv(standby).applied, { timeout: 10_000 }).toBe(seq);
    expect(kv(standby).stats.batches).toBeGreaterThan(before);
  });
});

describe('a standby whose applier holds the lock but applies nothing', () => {
  it('applies what the applier leaves unapplied for a second, and stays on standby', async () => {
    const infra = await openIntegrationInfra('postgres', { entities: kvBlock.entities, migrations: kvBlock.migrations });
    // Holds the lock and does nothing else: an applier that is stuck, not gone.
    const stuck = new ApplierLock(infra.db, quiet);
    const standby = new ReadModels(withRequestLedger([kvProjection]).map((p) => new ProjectionRunner(p, infra.store, infra.db, quiet)), infra.db, 5_000, { log: infra.store, logger: quiet });
    try {
      await stuck.start();
      await standby.start();
      expect(standby.applier).toBe(false);
      const runtime = new AggregateRuntime(infra.store, { find: async () => null }, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 });
      const { event } = await runtime.handle(kvAggregate, { tenant: 't', ns: 'n', entity: 'k' }, { type: 'PutValue', value: 1 }, { now: new Date(), tenant: 't', agent: 'a' });
      const kv = standby.runners.find((r) => r.name === kvProjection.name)!;
      await expect.poll(() => kv.applied, { timeout: 10_000 }).toBe(event!.seq);
      expect(kv.stats.batches).toBeGreaterThan(0);
      expect(kv.standby).toBe(true);
      expect(await kv.checkpoint()).toBe(event!.seq);
    } finally {
      await standby.stop();
      await stuck.stop();
      await infra.close();
    }
  });
});
