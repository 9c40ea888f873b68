import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject, type EventEnvelope } from '@memsidecar/core';
import { AggregateRuntime, type EventStore } from '@memsidecar/event-store';
import { kvAggregate, kvProjection, kvBlock } from '@memsidecar/kv';
import { openIntegrationInfra, type IntegrationInfra } from '@memsidecar/testing';
import { ProjectionRunner, withRequestLedger } from './index';

const runtimeOf = (store: EventStore) =>
  new AggregateRuntime(store, { find: async () => null }, { prefix: 'mem', cachedAggregates: 1000, conflictRetries: 5, rememberedRequests: 10 });

/** An event on a kv subject of a type this build's kv read model does not know (as a newer version could write). */
const renamed = (n: number): EventEnvelope => ({
  id: `renamed-${n}`, type: 'kv.value_renamed', v: 1, at: new Date().toISOString(), tenant: 'acme', agent: 'a', block: 'kv', ns: 'n', entity: 'from',
  requestId: `rename-${n}`, data: { to: `to-${n}` },
});

describe.each(['postgres', 'pglite'] as const)('projections - an event type the read model does not know on %s', (kind) => {
  let infra: IntegrationInfra;
  const warnings: string[] = [];
  const logger = { log: () => {}, warn: (m: string) => warnings.push(m), error: (m: string) => console.error(m) };

  beforeAll(async () => {
    infra = await openIntegrationInfra(kind, { entities: kvBlock.entities, migrations: kvBlock.migrations });
  });

  afterAll(async () => {
    await infra?.close();
  });

  it('is skipped and logged once, while the checkpoint moves past it and the request ledger still records its request', async () => {
    const { store, db } = infra;
    const runtime = runtimeOf(store);
    const put = (key: string) => runtime.handle(kvAggregate, { tenant: 'acme', ns: 'n', entity: key }, { type: 'PutValue', value: key }, { now: new Date(), tenant: 'acme', agent: 'a' });
    const subject = aggregateSubject('mem', { block: 'kv', tenant: 'acme', ns: 'n', entity: 'from' });

    await put('before');
    const first = await store.append(subject, renamed(1), { expectedLastSubjectSeq: 0 });
    await store.append(subject, renamed(2), { expectedLastSubjectSeq: first.seq });
    await put('after');

    const [ledger, runner] = withRequestLedger([kvProjection]).map((p) => new ProjectionRunner(p, store, db, logger));
    for (const r of [ledger, runner]) await r.start();
    for (const r of [ledger, runner]) await r.catchUp(30_000);
    for (const r of [ledger, runner]) await r.stop();

    const last = await store.lastSeq('mem.evt.kv.>');
    expect(runner.applied).toBe(last);
    expect(await runner.checkpoint()).toBe(last);
    const rows = await db.query<{ key: string }>(`SELECT key FROM kv_entries ORDER BY key`);
    expect(rows.map((r) => r.key)).toEqual(['after', 'before']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('read model kv_entries skips events of type kv.value_renamed');
    const requests = await db.query<{ request_id: string }>(`SELECT request_id FROM mem_requests WHERE request_id LIKE 'rename-%' ORDER BY request_id`);
    expect(requests.map((r) => r.request_id)).toEqual(['rename-1', 'rename-2']);
  });
});
