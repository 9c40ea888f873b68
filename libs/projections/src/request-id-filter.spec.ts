import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@memsidecar/core';
import { AggregateRuntime, InMemoryEventLog } from '@memsidecar/event-store';
import { kvAggregate, kvProjection, kvBlock } from '@memsidecar/kv';
import { AppliedRequest, BOOKKEEPING_MIGRATIONS, Database, ProjectionCheckpoint, ProjectionRunner, ReadModels, withRequestLedger } from './index';
import { BloomFilter, RequestIdFilter } from './request-id-filter';

describe('Bloom filter', () => {
  it('never forgets what it was given, and rarely claims what it was not', () => {
    const filter = new BloomFilter();
    for (let i = 0; i < 100_000; i++) filter.add(`tenant\u0000request-${i}`);
    for (let i = 0; i < 100_000; i++) expect(filter.mayContain(`tenant\u0000request-${i}`)).toBe(true);
    let claimed = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mayContain(`tenant\u0000other-${i}`)) claimed++;
    expect(claimed).toBeLessThan(10);
  });
});

describe('request id filter', () => {
  let db: Database;

  beforeAll(async () => {
    db = await Database.open({ pgliteDir: 'memory://', entities: [ProjectionCheckpoint, AppliedRequest], migrations: BOOKKEEPING_MIGRATIONS });
    await db.query(`INSERT INTO mem_requests (tenant, request_id, seq, block, at) SELECT 't', 'old-' || i, i, 'kv', now() FROM generate_series(1, 45000) i`);
  });

  afterAll(async () => {
    await db.close();
  });

  it('says "never used" only once loaded, only while the log was received to its end, and never for an id the ledger or the log holds', async () => {
    const ids = new RequestIdFilter(db);
    expect(ids.neverUsed('t', 'fresh', true)).toBe(false);
    await expect.poll(() => ids.neverUsed('t', 'fresh', true)).toBe(true);
    expect(ids.neverUsed('t', 'fresh', false)).toBe(false);
    for (const i of [1, 20_000, 20_001, 45_000]) expect(ids.neverUsed('t', `old-${i}`, true)).toBe(false);
    expect(ids.neverUsed('other-tenant', 'old-1', true)).toBe(true);
    ids.note('t', 'fresh');
    expect(ids.neverUsed('t', 'fresh', true)).toBe(false);
  });
});

describe('a retry reaching another instance after the duplicate window', () => {
  it('is still answered with the original: the filter knows the id, and the ledger has it', async () => {
    const clock = new ManualClock(new Date('2026-01-01T00:00:00Z'));
    const log = new InMemoryEventLog({ clock, duplicateWindowMs: 120_000 });
    const db = await Database.open({ pgliteDir: 'memory://', entities: [ProjectionCheckpoint, AppliedRequest, ...kvBlock.entities], migrations: [...BOOKKEEPING_MIGRATIONS, ...kvBlock.migrations] });
    const quiet = { log: () => {}, warn: () => {}, error: () => {} };
    const readModels = new ReadModels(withRequestLedger([kvProjection]).map((p) => new ProjectionRunner(p, log, db, quiet)), db, 5_000, { log, logger: quiet });
    try {
      await readModels.start();
      const options = { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 };
      const meta = (requestId: string) => ({ now: clock.now(), tenant: 't', agent: 'a', requestId });
      const address = { tenant: 't', ns: 'n', entity: 'k' };
      const first = await new AggregateRuntime(log, readModels, options).handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta('req-1'));
      await readModels.catchUp(5_000);
      await clock.advance(10 * 60_000);
      const otherInstance = new AggregateRuntime(log, readModels, options);
      const retried = await otherInstance.handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta('req-1'));
      expect(retried).toMatchObject({ replayed: true, event: { seq: first.event!.seq } });
      const fresh = await otherInstance.handle(kvAggregate, address, { type: 'PutValue', value: 2 }, meta('req-2'));
      expect(fresh.replayed).toBe(false);
      expect(fresh.event!.seq).toBeGreaterThan(first.event!.seq);
    } finally {
      await readModels.stop();
      await db.close();
    }
  });
});
