import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { aggregateSubject, type EventEnvelope } from '@memsidecar/core';
import { startTestNats, type TestNats } from '@memsidecar/testing';
import { kvAggregate } from '@memsidecar/kv';
import { AggregateRuntime, EventStore } from './index';
import { eventLogContract } from './event-log.contract';

const options = { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 };
const envelope = (entity: string, n: number): EventEnvelope => ({
  id: `e${n}`,
  type: 'test.happened',
  v: 1,
  at: new Date().toISOString(),
  tenant: 't',
  agent: 'a',
  block: 'kv',
  ns: 'n',
  entity,
  data: { n },
});
const noLedger = { find: async () => null };

eventLogContract('JetStream', async () => {
  const nats = await startTestNats();
  const nc = await connect({ servers: nats.url });
  const log = await EventStore.open(nc, options);
  return {
    log,
    async close() {
      await nc.close();
      await nats.stop();
    },
  };
});

describe('event store - JetStream', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    store = await EventStore.open(nc, options);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('creates an append-only file stream, and opening it again changes nothing', async () => {
    await EventStore.open(nc, options);
    const info = await store.jsm.streams.info('MEMSIDECAR');
    expect(info.config).toMatchObject({ storage: 'file', deny_delete: true, deny_purge: true, discard: 'new', subjects: ['mem.evt.>'] });
    expect(info.config.duplicate_window).toBeGreaterThanOrEqual(120_000 * 1e6);
  });

  it('reads from a time as well as from a sequence (JetStream only: storage timestamps), in order', async () => {
    const subject = aggregateSubject('mem', { block: 'kv', tenant: 't', ns: 'n', entity: 'reader' });
    const since = new Date();
    let seq = 0;
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push((seq = (await store.append(subject, envelope('reader', i), { expectedLastSubjectSeq: seq })).seq));
    const fromSeq = [];
    for await (const e of store.read({ filter: subject, fromSeq: seqs[2] })) fromSeq.push(e.seq);
    expect(fromSeq).toEqual(seqs.slice(2));
    const fromTime = [];
    for await (const e of store.read({ filter: subject, since })) fromTime.push(e.seq);
    expect(fromTime).toEqual(seqs);
  });

  it('two instances writing one aggregate both succeed by reloading on conflict', async () => {
    const a = new AggregateRuntime(store, noLedger, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 50, rememberedRequests: 100 });
    const b = new AggregateRuntime(store, noLedger, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 50, rememberedRequests: 100 });
    const put = (runtime: AggregateRuntime, i: number) =>
      runtime.handle(kvAggregate, { tenant: 't', ns: 'n', entity: 'shared' }, { type: 'PutValue', value: i }, { now: new Date(), tenant: 't', agent: 'a' });
    await Promise.all(Array.from({ length: 40 }, (_, i) => put(i % 2 ? a : b, i)));
    const last = await store.last(aggregateSubject('mem', { block: 'kv', tenant: 't', ns: 'n', entity: 'shared' }));
    expect((last?.data as { version: number }).version).toBe(40);
  });

  it('a stale cached state is refreshed before a refusal is trusted', async () => {
    const a = new AggregateRuntime(store, noLedger, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 });
    const b = new AggregateRuntime(store, noLedger, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 });
    const meta = () => ({ now: new Date(), tenant: 't', agent: 'a' });
    const address = { tenant: 't', ns: 'n', entity: 'stale' };
    await a.handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta());
    await b.handle(kvAggregate, address, { type: 'PutValue', value: 2 }, meta());
    // a still caches version 1; the key is at version 2, so ifVersion 2 must succeed on a.
    const result = await a.handle(kvAggregate, address, { type: 'PutValue', value: 3, ifVersion: 2 }, meta());
    expect((result.event?.data as { version: number }).version).toBe(3);
    // and a delete b decides on its stale cache must still see the key.
    const deleted = await b.handle(kvAggregate, address, { type: 'DeleteValue' }, meta());
    expect(deleted.event?.type).toBe('kv.value_deleted');
  });

  it('a request id retried on the same instance returns the original event', async () => {
    const runtime = new AggregateRuntime(store, noLedger, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 });
    const meta = { now: new Date(), tenant: 't', agent: 'a', requestId: 'same-request' };
    const address = { tenant: 't', ns: 'n', entity: 'retried' };
    const first = await runtime.handle(kvAggregate, address, { type: 'PutValue', value: 1, ifVersion: 0 }, meta);
    const retry = await runtime.handle(kvAggregate, address, { type: 'PutValue', value: 1, ifVersion: 0 }, meta);
    expect(retry.replayed).toBe(true);
    expect(retry.event?.seq).toBe(first.event?.seq);
    // another instance (no shared memory) is saved by JetStream's duplicate window
    const other = new AggregateRuntime(store, noLedger, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 });
    const elsewhere = await other.handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta);
    expect(elsewhere).toMatchObject({ replayed: true, event: { seq: first.event?.seq } });
  });
});
