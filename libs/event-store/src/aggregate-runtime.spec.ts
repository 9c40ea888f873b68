import { describe, expect, it } from 'vitest';
import { aggregateSubject, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { kvAggregate } from '@memsidecar/kv';
import { AggregateRuntime } from './aggregate-runtime';
import { ConcurrencyConflict, type AppendOptions, type Appended } from './event-log';
import { InMemoryEventLog } from './in-memory-event-log';

/** A log that counts the appends it refused for a stale expectation. */
class CountingLog extends InMemoryEventLog {
  conflicts = 0;
  override async append(subject: string, envelope: EventEnvelope, o: AppendOptions): Promise<Appended> {
    try {
      return await super.append(subject, envelope, o);
    } catch (e) {
      if (e instanceof ConcurrencyConflict) this.conflicts++;
      throw e;
    }
  }
}

const options = { prefix: 'mem', cachedAggregates: 100, conflictRetries: 5, rememberedRequests: 100 };
const noLedger = { find: async () => null };
const meta = () => ({ now: new Date(), tenant: 't', agent: 'a' });
const address = { tenant: 't', ns: 'n', entity: 'k' };
const version = (event: StoredEvent | null) => (event?.data as { version: number }).version;

describe('aggregate runtime: another instance\'s appends', () => {
  it('without seeing them, a cached state loses the compare-and-set once and reloads', async () => {
    const log = new CountingLog();
    const [a, b] = [new AggregateRuntime(log, noLedger, options), new AggregateRuntime(log, noLedger, options)];
    await a.handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta());
    await b.handle(kvAggregate, address, { type: 'PutValue', value: 2 }, meta());
    const { event } = await a.handle(kvAggregate, address, { type: 'PutValue', value: 3 }, meta());
    expect(version(event)).toBe(3);
    expect(log.conflicts).toBe(1);
  });

  it('seeing them on the log, the cache follows and the next command appends at once', async () => {
    const log = new CountingLog();
    const [a, b] = [new AggregateRuntime(log, noLedger, options), new AggregateRuntime(log, noLedger, options)];
    await a.handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta());
    const { event: other } = await b.handle(kvAggregate, address, { type: 'PutValue', value: 2, metadata: { by: 'b' } }, meta());
    a.observe(other!);
    const { event } = await a.handle(kvAggregate, address, { type: 'PutValue', value: 3, ifVersion: 2 }, meta());
    expect(version(event)).toBe(3);
    expect(log.conflicts).toBe(0);
  });

  it('ignores an event older than what it caches (its own append, or one it already followed)', async () => {
    const log = new CountingLog();
    const a = new AggregateRuntime(log, noLedger, options);
    const { event: first } = await a.handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta());
    await a.handle(kvAggregate, address, { type: 'PutValue', value: 2 }, meta());
    a.observe(first!);
    const { event } = await a.handle(kvAggregate, address, { type: 'PutValue', value: 3, ifVersion: 2 }, meta());
    expect(version(event)).toBe(3);
    expect(log.conflicts).toBe(0);
  });

  it('leaves aggregates it does not cache alone', async () => {
    const log = new CountingLog();
    const [a, b] = [new AggregateRuntime(log, noLedger, options), new AggregateRuntime(log, noLedger, options)];
    const { event: other } = await b.handle(kvAggregate, address, { type: 'PutValue', value: 1 }, meta());
    a.observe(other!);
    const { event } = await a.handle(kvAggregate, address, { type: 'PutValue', value: 2 }, meta());
    expect(version(event)).toBe(2);
    expect(await log.lastSeq(aggregateSubject('mem', { ...address, block: 'kv' }))).toBe(event!.seq);
  });
});
