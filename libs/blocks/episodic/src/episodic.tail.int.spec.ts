import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject, DEFAULT_LIMITS, ManualClock } from '@memsidecar/core';
import { loadConfig } from '@memsidecar/config';
import { validateInput, type BlockDependencies, type RequestContext } from '@memsidecar/api';
import { AggregateRuntime } from '@memsidecar/event-store';
import { ProjectionRunner, ReadModels, withRequestLedger } from '@memsidecar/projections';
import { integrationErasure, openIntegrationInfra, type IntegrationInfra } from '@memsidecar/testing';
import { episodicBlock } from './episodic.block';
import { NAMESPACE_LOG, episodicOperations } from './episodic.operations';
import { episodicProjection } from './episodic.projection';
import { EpisodicQueries } from './episodic.queries';
import type { EpisodicTailItem } from './episodic.replies';
import { tailEvents } from './episodic.tail';

const quiet = { log: () => {}, warn: () => {}, error: () => {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The live part of a tail, in-process, while its consumer is taken away from under it. */
describe('episodic tail - the live part survives a lost consumer', () => {
  let infra: IntegrationInfra;
  let readModels: ReadModels;
  let deps: BlockDependencies;
  const clock = new ManualClock();

  beforeAll(async () => {
    infra = await openIntegrationInfra('postgres', episodicBlock);
    readModels = new ReadModels(withRequestLedger([episodicProjection]).map((p) => new ProjectionRunner(p, infra.store, infra.db, quiet)), infra.db, 5000);
    await readModels.start();
    const runtime = new AggregateRuntime(infra.store, readModels, { prefix: 'mem', cachedAggregates: 100, conflictRetries: 20, rememberedRequests: 100 }, (block, seq) =>
      readModels.noteAppended(block, seq),
    );
    deps = { runtime, readModels, db: infra.db, store: infra.store, jetStream: infra.store, limits: DEFAULT_LIMITS, erasure: integrationErasure(infra, readModels), config: loadConfig({}), instanceId: 'test', clock, logger: quiet };
  });

  afterAll(async () => {
    await readModels?.stop();
    await infra?.close();
  });

  const append = async (ns: string, payload: unknown) => {
    const op = episodicOperations(deps).find((o) => o.name === 'episodic.append')!;
    const ctx: RequestContext = { principal: { tenant: 't', agent: 'a', namespaces: ['*'], ops: ['*'], tokenId: '', expiresAt: null }, now: clock.now(), transport: 'test' };
    return (await op.handle!(validateInput(op.input, { ns, type: 'note', payload }), ctx)) as { cursor: number };
  };

  const tail = (ns: string, o: { maxEvents: number; maxMs: number; afterCursor?: number }, sink: (item: EpisodicTailItem) => Promise<void>) =>
    tailEvents(deps, new EpisodicQueries(infra.db), {
      tenant: 't',
      ns,
      subject: aggregateSubject('mem', { block: 'episodic', tenant: 't', ns, entity: NAMESPACE_LOG }),
      ...o,
      sink: sink as (item: unknown) => Promise<void>,
    });

  const deleteConsumers = async () => {
    for await (const c of await infra.store.jsm.consumers.list(infra.store.stream)) await infra.store.jsm.consumers.delete(infra.store.stream, c.name).catch(() => false);
  };

  it('delivers what is appended after the consumer was deleted: no gap, no duplicate, ends at maxEvents', async () => {
    await append('lost', 0);
    const items: EpisodicTailItem[] = [];
    const started = Date.now();
    const done = tail('lost', { maxEvents: 4, maxMs: 20_000, afterCursor: 0 }, async (item) => void items.push(item));
    await append('lost', 1);
    while (items.length < 2) await sleep(20);
    await deleteConsumers();
    await append('lost', 2);
    await append('lost', 3);
    await done;
    expect(items.map((i) => i.payload)).toEqual([0, 1, 2, 3]);
    expect(items.map((i) => i.cursor)).toEqual([1, 2, 3, 4]);
    // Long before maxMs: the follower recreated its consumer within seconds.
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 30_000);

  it('ends at maxMs with what it had, and a failing sink ends it with that error, nothing sent after', async () => {
    let ended = false;
    const quietTail = tail('quiet', { maxEvents: 10, maxMs: 300 }, async () => {}).then(() => (ended = true));
    // Once asleep until its deadline, it has found where its live part starts.
    await clock.whenSleeping();
    await clock.advance(299);
    expect(ended).toBe(false);
    await clock.advance(1);
    await quietTail;

    let calls = 0;
    const failing = tail('failing', { maxEvents: 10, maxMs: 10_000 }, async () => {
      calls++;
      throw new Error('caller went away');
    }).catch((e: Error) => e);
    // Asleep: it follows from the live edge, so what is appended from now on reaches the sink.
    await clock.whenSleeping();
    await append('failing', 1);
    await append('failing', 2);
    expect(await failing).toMatchObject({ message: 'caller went away' });
    await sleep(300);
    expect(calls).toBe(1);
  }, 30_000);
});
