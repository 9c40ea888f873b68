import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Annotation, DeltaChannel, END, START, StateGraph } from '@langchain/langgraph';
import { BaseCheckpointSaver, ERROR, emptyCheckpoint, uuid6, type CheckpointTuple } from '@langchain/langgraph-checkpoint';
import { MemoryClient } from '@memsidecar/client';
import { RunningService, createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@memsidecar/testing';
import { MemsidecarSaver, type MemsidecarSaverOptions } from './saver';
import { prefixOf } from './saver-keys';

/** A graph that counts to `until`, one checkpoint per step, with a plain reducer channel. */
function counter(saver: MemsidecarSaver) {
  const State = Annotation.Root({
    count: Annotation<number>,
    until: Annotation<number>,
    log: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
  });
  return new StateGraph(State)
    .addNode('step', (s) => ({ count: s.count + 1, log: [`step ${s.count + 1}`] }))
    .addEdge(START, 'step')
    .addConditionalEdges('step', (s) => (s.count >= s.until ? END : 'step'))
    .compile({ checkpointer: saver });
}

/** The same with its log in a DeltaChannel: only every `snapshotFrequency`-th update stores the whole log. */
function deltaCounter(saver: MemsidecarSaver, snapshotFrequency: number) {
  const State = Annotation.Root({
    count: Annotation<number>,
    until: Annotation<number>,
    log: () => new DeltaChannel<string[], string[]>((state, writes) => state.concat(...writes), { snapshotFrequency }),
  });
  return new StateGraph(State)
    .addNode('step', (s) => ({ count: s.count + 1, log: [`step ${s.count + 1}`] }))
    .addEdge(START, 'step')
    .addConditionalEdges('step', (s) => (s.count >= s.until ? END : 'step'))
    .compile({ checkpointer: saver });
}

const thread = (id: string) => ({ configurable: { thread_id: id } });

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('langgraph - MemsidecarSaver on a running service', () => {
  let nats: TestNats;
  let pg: TestDatabase;
  let service: RunningService;
  let client: MemoryClient;
  const saver = (o: MemsidecarSaverOptions = {}) => new MemsidecarSaver(client, { namespace: `lg-${randomUUID().slice(0, 8)}`, ...o });
  const keysUnder = async (s: MemsidecarSaver, prefix: string) => (await client.kv.list({ ns: s.namespace, prefix, limit: 1000 })).items.map((i) => i.key);

  beforeAll(async () => {
    nats = await startTestNats();
    pg = await createTestDatabase();
    service = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url });
    client = await MemoryClient.connect({ natsUrl: nats.url, token: service.adminToken(), logger: { warn: () => undefined } });
  });
  afterAll(async () => {
    await client?.shutdown();
    await service?.stop();
    await pg?.drop();
    await nats?.stop();
  });

  it('pending writes - read back by (task path, task id, index), not by task id alone', async () => {
    const s = saver();
    const config = await s.put({ configurable: { thread_id: 't', checkpoint_ns: '' } }, { ...emptyCheckpoint(), id: uuid6(0) }, { source: 'loop', step: 0, parents: {} }, {});
    // Task ids in the opposite order of their paths; a write without a path sorts first.
    await s.putWrites(config, [['x', 'from z, second index 0'], ['x', 'from z, second index 1']], 'task-z', '~__pregel_pull, a-node');
    await s.putWrites(config, [['x', 'from a, last']], 'task-a', '~__pregel_pull, b-node');
    await s.putWrites(config, [['x', 'input']], 'task-m');
    const tuple = await s.getTuple(config);
    expect(tuple?.pendingWrites?.map((w) => w[2])).toEqual(['input', 'from z, second index 0', 'from z, second index 1', 'from a, last']);
  });

  it('pending writes - a task’s regular write is kept as first stored, its error is replaced', async () => {
    const s = saver();
    const config = await s.put({ configurable: { thread_id: 't' } }, { ...emptyCheckpoint(), id: uuid6(0) }, { source: 'loop', step: 0, parents: {} }, {});
    await s.putWrites(config, [['x', 'first']], 'task');
    await s.putWrites(config, [['x', 'retried']], 'task');
    await s.putWrites(config, [[ERROR, 'boom 1']], 'task');
    await s.putWrites(config, [[ERROR, 'boom 2']], 'task');
    const writes = (await s.getTuple(config))?.pendingWrites ?? [];
    expect(writes.filter((w) => w[1] === 'x').map((w) => w[2])).toEqual(['first']);
    expect(writes.filter((w) => w[1] === ERROR).map((w) => w[2])).toEqual(['boom 2']);
  });

  it('large values - a channel value or write over largeValueBytes is stored as an artifact, reads back intact, and goes with its thread', async () => {
    const s = saver({ largeValueBytes: 64 * 1024 });
    const big = Array.from({ length: 2000 }, (_, i) => `message ${i}: ${'x'.repeat(400)}`); // ~0.8 MiB, over the kv limit too
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(0), channel_values: { big, small: 1 }, channel_versions: { big: 1, small: 1 } };
    const config = await s.put({ configurable: { thread_id: 'large' } }, checkpoint, { source: 'input', step: -1, parents: {} }, { big: 1, small: 1 });
    await s.putWrites(config, [['big', big]], 'task');

    const tuple = await s.getTuple(config);
    expect(tuple?.checkpoint.channel_values).toEqual({ big, small: 1 });
    expect(tuple?.pendingWrites).toEqual([['task', 'big', big]]);
    const artifacts = async () => (await client.artifact.list({ ns: s.namespace, limit: 1000 })).items.map((i) => i.id);
    expect(await artifacts()).toHaveLength(2); // the channel value and the write; `small` stayed inline

    // A newer checkpoint that changes `big` makes the old value prunable; the thread's deletion takes the rest.
    const next = { ...checkpoint, id: uuid6(1), channel_values: { big: ['short'], small: 1 }, channel_versions: { big: 2, small: 1 } };
    await s.put(config, next, { source: 'loop', step: 0, parents: {} }, { big: 2 });
    expect(await s.prune('large', { keepLast: 1 })).toEqual({ checkpoints: 1, writes: 1, channelValues: 1 });
    expect(await artifacts()).toEqual([]);
    expect((await s.getTuple({ configurable: { thread_id: 'large' } }))?.checkpoint.channel_values).toEqual({ big: ['short'], small: 1 });

    await s.putWrites({ configurable: { thread_id: 'large', checkpoint_ns: '', checkpoint_id: next.id } }, [['big', big]], 'task');
    expect(await artifacts()).toHaveLength(1);
    await s.deleteThread('large');
    expect(await artifacts()).toEqual([]);
  });

  it('limits - a checkpoint too large for one kv value is refused naming the setting, and is not stored', async () => {
    const s = saver();
    const checkpoint = { ...emptyCheckpoint(), id: uuid6(0) };
    const metadata = { source: 'input' as const, step: -1, parents: {}, notes: 'x'.repeat(300 * 1024) };
    await expect(s.put({ configurable: { thread_id: 'big' } }, checkpoint, metadata, {})).rejects.toThrow(new RegExp(`checkpoint ${checkpoint.id}.*limits\\.maxValueBytes`, 's'));
    expect(await s.getTuple({ configurable: { thread_id: 'big' } })).toBeUndefined();
  });

  it('a put cut short - a checkpoint whose values did not all land reads as absent, and the one before it is the latest', async () => {
    const s = saver();
    const meta = { source: 'loop' as const, step: 0, parents: {} };
    const first = await s.put({ configurable: { thread_id: 'cut' } }, { ...emptyCheckpoint(), id: uuid6(0), channel_values: { x: 1 }, channel_versions: { x: 1 } }, meta, { x: 1 });
    const second = await s.put(first, { ...emptyCheckpoint(), id: uuid6(1), channel_values: { x: 2 }, channel_versions: { x: 2 } }, meta, { x: 2 });
    // As if the process died after the checkpoint landed and before its value did.
    const [value] = (await client.kv.list({ ns: s.namespace, prefix: prefixOf('b', 'cut', '', 'x'), reverse: true, limit: 1 })).items;
    await client.kv.delete({ ns: s.namespace, key: value.key });

    expect(await s.getTuple(second)).toBeUndefined();
    expect((await s.getTuple({ configurable: { thread_id: 'cut' } }))?.config).toEqual(first);
    expect((await all(s.list({ configurable: { thread_id: 'cut' } }))).map((t) => t.config)).toEqual([first]);
  });

  it('graph - a StateGraph resumes a thread from its checkpoints, and history lists newest first with before and limit', async () => {
    const s = saver();
    const graph = counter(s);
    await graph.invoke({ count: 0, until: 3 }, thread('g'));
    const history = await all(s.list(thread('g')));
    const steps = history.map((t) => t.metadata?.step);
    expect(steps).toEqual([...steps].sort((a, b) => b! - a!));
    expect(history.map((t) => t.checkpoint.id)).toEqual(history.map((t) => t.checkpoint.id).sort().reverse());
    const page = await all(s.list(thread('g'), { before: history[1].config, limit: 2 }));
    expect(page.map((t) => t.checkpoint.id)).toEqual(history.slice(2, 4).map((t) => t.checkpoint.id));

    const resumed = await graph.invoke({ until: 5 }, thread('g'));
    expect(resumed.count).toBe(5);
    expect(resumed.log).toEqual(['step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
  });

  it('retention - prune keeps the newest checkpoints as they were, deletes the rest with their writes and values, and the thread goes on', async () => {
    const s = saver();
    const graph = counter(s);
    await graph.invoke({ count: 0, until: 8 }, thread('p'));
    const before = await all(s.list(thread('p')));
    const valuesBefore = (await graph.getState(thread('p'))).values;
    const blobsBefore = await keysUnder(s, prefixOf('b', 'p'));

    const pruned = await s.prune('p', { keepLast: 3 });

    const after = await all(s.list(thread('p')));
    expect(after).toEqual(before.slice(0, 3));
    expect(pruned.checkpoints).toBe(before.length - 3);
    expect(pruned.channelValues).toBeGreaterThan(0);
    for (const gone of before.slice(3)) expect(await s.getTuple(gone.config)).toBeUndefined();
    expect(await keysUnder(s, prefixOf('b', 'p'))).toHaveLength(blobsBefore.length - pruned.channelValues);
    expect((await graph.getState(thread('p'))).values).toEqual(valuesBefore);
    expect((await graph.invoke({ until: 9 }, thread('p'))).log).toEqual([...valuesBefore.log, 'step 9']);
  });

  it('retention - with a delta channel, prune keeps the ancestors back to its last snapshot, and the state still rebuilds', async () => {
    const s = saver();
    const graph = deltaCounter(s, 4);
    await graph.invoke({ count: 0, until: 10 }, thread('d'));
    const valuesBefore = (await graph.getState(thread('d'))).values;
    expect(valuesBefore.log).toHaveLength(10);
    const before = await all(s.list(thread('d')));

    const pruned = await s.prune('d', { keepLast: 1 });

    const kept = await all(s.list(thread('d')));
    expect(pruned.checkpoints).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(1); // the newest, and the chain its log is replayed from
    expect(kept.length + pruned.checkpoints).toBe(before.length);
    // The oldest checkpoint kept holds the log's snapshot, the seed of the replay.
    expect(kept[kept.length - 1].checkpoint.channel_values).toHaveProperty('log');
    expect((await graph.getState(thread('d'))).values).toEqual(valuesBefore);
    expect((await graph.invoke({ until: 11 }, thread('d'))).log).toEqual([...valuesBefore.log, 'step 11']);
  });

  it('delta channels - the paged ancestor walk returns what the library’s own walk over getTuple returns', async () => {
    const s = saver();
    await deltaCounter(s, 5).invoke({ count: 0, until: 12 }, thread('w'));
    const tuples: CheckpointTuple[] = await all(s.list(thread('w')));
    for (const t of tuples) {
      const options = { config: t.config, channels: ['log', 'count'] };
      expect(await s.getDeltaChannelHistory(options)).toEqual(await BaseCheckpointSaver.prototype.getDeltaChannelHistory.call(s, options));
    }
  });

  it('retention - the option prunes every few puts, so a long thread stays bounded', async () => {
    const s = saver({ retention: { keepLast: 2, pruneEvery: 3 } });
    await counter(s).invoke({ count: 0, until: 20 }, thread('r'));
    const kept = await all(s.list(thread('r')));
    expect(kept.length).toBeLessThanOrEqual(2 + 3);
    expect(kept[0].checkpoint.channel_values).toMatchObject({ count: 20 });
  });

  it('deleteThread - removes every checkpoint, write and value of the thread and nothing of another', async () => {
    const s = saver();
    const graph = counter(s);
    await graph.invoke({ count: 0, until: 2 }, thread('gone'));
    await graph.invoke({ count: 0, until: 2 }, thread('stays'));
    await s.deleteThread('gone');
    for (const kind of ['c', 'w', 'b'] as const) expect(await keysUnder(s, prefixOf(kind, 'gone'))).toEqual([]);
    expect(await s.getTuple(thread('gone'))).toBeUndefined();
    expect((await graph.getState(thread('stays'))).values).toMatchObject({ count: 2 });
  });

  it('keys - thread ids and namespaces with separators and escapes stay apart', async () => {
    const s = saver();
    const graph = counter(s);
    await graph.invoke({ count: 0, until: 1 }, thread('a/b'));
    await graph.invoke({ count: 0, until: 2 }, thread('a%2Fb'));
    expect((await graph.getState(thread('a/b'))).values.count).toBe(1);
    expect((await graph.getState(thread('a%2Fb'))).values.count).toBe(2);
    expect(new Set((await all(s.list({ configurable: {} }))).map((t) => t.config.configurable?.thread_id))).toEqual(new Set(['a/b', 'a%2Fb']));
  });
});
