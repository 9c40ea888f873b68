import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, aggregateSubject, type CommandMeta } from '@memsidecar/core';
import { AggregateRuntime } from '@memsidecar/event-store';
import { kvAggregate, kvProjection, kvBlock } from '@memsidecar/kv';
import { openIntegrationInfra, type IntegrationInfra } from '@memsidecar/testing';
import { ProjectionRunner, ReadModels, RequestLedgerRetention, withRequestLedger } from './index';

const quiet = { log: () => {}, warn: () => {}, error: () => {} };
const DAY = 24 * 3_600_000;
const OPTIONS = { prefix: 'mem', cachedAggregates: 1000, conflictRetries: 5, rememberedRequests: 1000 };

describe.each(['postgres', 'pglite'] as const)('request ledger on %s', (kind) => {
  let infra: IntegrationInfra;
  let readModels: ReadModels;
  const start = new Date('2026-03-01T00:00:00.000Z');
  const meta = (requestId: string | undefined, now = start): CommandMeta => ({ now, tenant: 'acme', agent: 'a', requestId });
  const runtime = () => new AggregateRuntime(infra.store, readModels, OPTIONS, (block, seq) => readModels.noteAppended(block, seq));
  const put = (rt: AggregateRuntime, entity: string, value: unknown, m: CommandMeta) => rt.handle(kvAggregate, { tenant: 'acme', ns: 'n', entity }, { type: 'PutValue', value }, m);

  beforeAll(async () => {
    infra = await openIntegrationInfra(kind, { entities: kvBlock.entities, migrations: kvBlock.migrations });
    readModels = new ReadModels(withRequestLedger([kvProjection]).map((p) => new ProjectionRunner(p, infra.store, infra.db, quiet)), infra.db, 5_000);
    await readModels.start();
  });
  afterAll(async () => {
    await readModels?.stop();
    await infra?.close();
  });

  it('is a read model of its own: a row per request id, its first event, under the checkpoint "requests"', async () => {
    const rt = runtime();
    const first = await put(rt, 'a', 1, meta('r-1'));
    const anonymous = await put(rt, 'b', 2, meta(undefined));
    const second = await put(rt, 'c', 3, meta('r-2'));
    await readModels.catchUp(10_000);
    const rows = await infra.db.query(`SELECT tenant, request_id, seq::int AS seq, block FROM mem_requests ORDER BY seq`);
    expect(rows).toEqual([
      { tenant: 'acme', request_id: 'r-1', seq: first.event!.seq, block: 'kv' },
      { tenant: 'acme', request_id: 'r-2', seq: second.event!.seq, block: 'kv' },
    ]);
    const [checkpoint] = await infra.db.query<{ seq: string }>(`SELECT seq FROM mem_checkpoints WHERE name = 'requests'`);
    expect(Number(checkpoint.seq)).toBe(second.event!.seq);
    expect(anonymous.event!.seq).toBeGreaterThan(first.event!.seq);
  });

  it('answers a retry that only the ledger remembers with the original event, appending nothing', async () => {
    const original = await put(runtime(), 'd', 'original', meta('r-3'));
    await readModels.catchUp(10_000);
    const retried = await put(runtime(), 'd', 'changed', meta('r-3'));
    expect(retried).toMatchObject({ replayed: true, event: { seq: original.event!.seq, data: { value: 'original' } } });
    expect(await infra.store.lastSeq(aggregateSubject('mem', { block: 'kv', tenant: 'acme', ns: 'n', entity: 'd' }))).toBe(original.event!.seq);
  });

  it('retention deletes the request ids older than it, and only those', async () => {
    const rt = runtime();
    await put(rt, 'e', 1, meta('r-old', new Date(start.getTime() - 8 * DAY)));
    await put(rt, 'f', 1, meta('r-recent', new Date(start.getTime() - 6 * DAY)));
    await readModels.catchUp(10_000);
    const clock = new ManualClock(start);
    const retention = new RequestLedgerRetention(infra.db, clock, 7 * DAY, quiet);
    expect(await retention.sweep()).toBe(1);
    const ids = (await infra.db.query<{ request_id: string }>(`SELECT request_id FROM mem_requests ORDER BY request_id`)).map((r) => r.request_id);
    expect(ids).toEqual(['r-1', 'r-2', 'r-3', 'r-recent']);
    clock.advance(DAY + 1);
    expect(await retention.sweep()).toBe(1);
    expect(await retention.sweep()).toBe(0);
  });
});
