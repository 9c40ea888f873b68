import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  compareWritesSortKeys,
  maxChannelVersion,
  writesSortKey,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type DeltaChannelHistory,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { MemoryClient } from '@memsidecar/client';
import { CheckpointKv } from './saver-kv';
import { addressOf, blobKey, checkpointKey, prefixOf, writeKey, type CheckpointAddress } from './saver-keys';
import { asBlob, asCheckpointRecord, asWriteRecord, dump, load, type CheckpointRecord, type WriteRecord } from './saver-records';
import { deltaChannelHistory } from './saver-delta';
import { LargeValues } from './saver-large-values';
import { pruneThread, type PruneResult } from './saver-retention';

export interface MemsidecarSaverOptions {
  /** The kv namespace the checkpoints live in (`[A-Za-z0-9_.:-]`, 1-128). Default `langgraph`. */
  namespace?: string;
  /** How checkpoints, metadata, channel values and writes are serialized. Default: the library's JsonPlusSerializer. */
  serde?: SerializerProtocol;
  /**
   * Prune each thread as it grows: after every `pruneEvery` puts on a thread (default 10), keep its
   * last `keepLast` checkpoints per checkpoint namespace and what they still need (see `prune`).
   */
  retention?: { keepLast: number; pruneEvery?: number };
  /** kv calls one operation keeps in flight at once (channel values, writes, deletes). Default 16. */
  concurrency?: number;
  /**
   * A channel value or pending write serialized to more than this many bytes is stored as an
   * artifact (in the same namespace) and its kv key keeps the artifact's id. Default 128 KiB, which
   * keeps every kv value under the service's default `limits.maxValueBytes` of 256 KiB.
   */
  largeValueBytes?: number;
}

const NAMESPACE = /^[A-Za-z0-9_.:-]{1,128}$/;

const MISSING_THREAD =
  'The passed RunnableConfig is missing a required "thread_id" field in its "configurable" property: pass one, e.g. graph.invoke(input, { configurable: { thread_id: "my-thread" } })';

/** A stored checkpoint as `list` reads it: its address and record, before its values are fetched. */
interface Stored extends CheckpointAddress {
  record: CheckpointRecord;
}

/**
 * A LangGraph checkpointer on memsidecar's kv block: every checkpoint, channel value and pending
 * write is a kv key, so it is an event on the service's log (auditable, replayable) as well as a
 * row of its read model. Channel values are stored once per version, as the Postgres saver does.
 *
 *   const checkpointer = new MemsidecarSaver(await MemoryClient.connect(), { namespace: 'my-agent' });
 */
export class MemsidecarSaver extends BaseCheckpointSaver {
  private readonly kv: CheckpointKv;
  private readonly large: LargeValues;
  private readonly retention?: { keepLast: number; pruneEvery: number };
  private readonly putsSincePrune = new Map<string, number>();

  constructor(client: MemoryClient, options: MemsidecarSaverOptions = {}) {
    super(options.serde);
    const ns = options.namespace ?? 'langgraph';
    if (!NAMESPACE.test(ns)) throw new Error(`MemsidecarSaver: namespace "${ns}" must be 1-128 characters of [A-Za-z0-9_.:-]`);
    const concurrency = options.concurrency ?? 16;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`MemsidecarSaver: concurrency must be a positive integer, got ${concurrency}`);
    if (options.retention) {
      const { keepLast, pruneEvery = 10 } = options.retention;
      if (!Number.isInteger(keepLast) || keepLast < 1) throw new Error(`MemsidecarSaver: retention.keepLast must be a positive integer, got ${keepLast}`);
      if (!Number.isInteger(pruneEvery) || pruneEvery < 1) throw new Error(`MemsidecarSaver: retention.pruneEvery must be a positive integer, got ${pruneEvery}`);
      this.retention = { keepLast, pruneEvery };
    }
    const largeValueBytes = options.largeValueBytes ?? 128 * 1024;
    if (!Number.isInteger(largeValueBytes) || largeValueBytes < 1) throw new Error(`MemsidecarSaver: largeValueBytes must be a positive integer, got ${largeValueBytes}`);
    this.kv = new CheckpointKv(client, ns, concurrency);
    this.large = new LargeValues(client, this.kv, largeValueBytes);
  }

  /** The kv namespace the checkpoints live in. */
  get namespace(): string {
    return this.kv.ns;
  }

  async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const { thread_id: threadId, checkpoint_ns: checkpointNs = '', checkpoint_id: checkpointId } = config.configurable ?? {};
    if (threadId === undefined || threadId === null) return undefined;
    if (checkpointId) {
      const key = checkpointKey(String(threadId), checkpointNs, checkpointId);
      const value = await this.kv.get(key);
      if (value === undefined) return undefined;
      return this.hydrate({ threadId: String(threadId), checkpointNs, checkpointId, record: asCheckpointRecord(key, value) });
    }
    // The newest stored checkpoint: one whose put was cut short is passed over.
    for await (const page of this.kv.pages(prefixOf('c', String(threadId), checkpointNs), { reverse: true, includeValues: true, pageSize: 2 }))
      for (const latest of page) {
        const tuple = await this.hydrate({ ...addressOf(latest.key), record: asCheckpointRecord(latest.key, latest.value) });
        if (tuple !== undefined) return tuple;
      }
    return undefined;
  }

  /**
   * Checkpoints newest first within a thread and checkpoint namespace (a listing across threads
   * goes thread by thread, in key order of the escaped thread ids, newest first within each).
   */
  async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { thread_id, checkpoint_ns: checkpointNs, checkpoint_id: onlyId } = config.configurable ?? {};
    const threadId = thread_id === undefined || thread_id === null || thread_id === '' ? undefined : String(thread_id);
    const { filter, limit } = options;
    const before: string | undefined = options.before?.configurable?.checkpoint_id;
    if (limit !== undefined && limit <= 0) return;
    // Within one thread and namespace, `before` is where the reverse listing starts; otherwise it is a filter.
    const startAfter = threadId !== undefined && checkpointNs !== undefined && before ? checkpointKey(threadId, checkpointNs, before) : undefined;
    const selective = onlyId !== undefined || (filter !== undefined && Object.keys(filter).length > 0) || (before !== undefined && startAfter === undefined);
    const pageSize = limit !== undefined && !selective ? Math.min(limit, 100) : 100;
    let yielded = 0;
    for await (const page of this.kv.pages(prefixOf('c', threadId, checkpointNs), { reverse: true, includeValues: true, startAfter, pageSize })) {
      const candidates = page
        .map((entry): Stored => ({ ...addressOf(entry.key), record: asCheckpointRecord(entry.key, entry.value) }))
        .filter((s) => (checkpointNs === undefined || s.checkpointNs === checkpointNs) && (!onlyId || s.checkpointId === onlyId) && (!before || s.checkpointId < before));
      const matching = filter && Object.keys(filter).length > 0 ? await this.matchingMetadata(candidates, filter) : candidates;
      for (const tuple of await Promise.all(matching.map((s) => this.hydrate(s)))) {
        if (tuple === undefined) continue; // a put cut short
        yield tuple;
        if (limit !== undefined && ++yielded >= limit) return;
      }
    }
  }

  async put(config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata, newVersions: ChannelVersions): Promise<RunnableConfig> {
    if (config.configurable === undefined) throw new Error(`MemsidecarSaver.put: ${MISSING_THREAD}`);
    const { thread_id, checkpoint_ns: checkpointNs = '', checkpoint_id: parent } = config.configurable;
    if (thread_id === undefined || thread_id === null || thread_id === '') throw new Error(`MemsidecarSaver.put: ${MISSING_THREAD}`);
    const threadId = String(thread_id);
    // Only the channels this checkpoint changed get a value; the others are read at the version their checkpoint stored.
    const changed = Object.entries(newVersions).filter(([channel]) => Object.prototype.hasOwnProperty.call(checkpoint.channel_values, channel) && checkpoint.channel_values[channel] !== undefined);
    const key = checkpointKey(threadId, checkpointNs, checkpoint.id);
    const record: CheckpointRecord = {
      parent: parent ?? null,
      checkpoint: await dump(this.serde, { ...checkpoint, channel_values: {} }),
      metadata: await dump(this.serde, metadata),
      ...(changed.length > 0 ? { own: Object.fromEntries(changed) } : {}),
    };
    // The values and the checkpoint in one round: the checkpoint names the values it stored and reads
    // as absent until they are all there, so a put cut short never yields a checkpoint without its state.
    const puts: (() => Promise<unknown>)[] = [
      () => this.kv.put(key, record, `checkpoint ${checkpoint.id} (without its channel values)`),
      ...changed.map(([channel, version]) => async () => {
        const at = blobKey(threadId, checkpointNs, channel, version);
        const { stored, metadata: named } = await this.large.place(threadId, at, await dump(this.serde, checkpoint.channel_values[channel]));
        return this.kv.put(at, stored, `the value of channel "${channel}" in checkpoint ${checkpoint.id}`, { metadata: named });
      }),
    ];
    await this.kv.inParallel(puts, async (put) => void (await put()));
    await this.pruneIfDue(threadId);
    return { configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: checkpoint.id } };
  }

  async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const { thread_id, checkpoint_ns: checkpointNs = '', checkpoint_id: checkpointId } = config.configurable ?? {};
    if (thread_id === undefined || thread_id === null || thread_id === '') throw new Error(`MemsidecarSaver.putWrites: ${MISSING_THREAD}`);
    if (!checkpointId) throw new Error('MemsidecarSaver.putWrites: the passed RunnableConfig has no "checkpoint_id" in its "configurable": writes belong to a checkpoint');
    const threadId = String(thread_id);
    await this.kv.inParallel(
      writes.map(([channel, value], position) => ({ channel, value, idx: WRITES_IDX_MAP[channel] ?? position })),
      async ({ channel, value, idx }) => {
        const key = writeKey(threadId, checkpointNs, checkpointId, taskId, idx);
        const { stored, metadata: named } = await this.large.place(threadId, key, await dump(this.serde, value));
        const record: WriteRecord = { taskId, taskPath: taskPath ?? '', channel, idx, value: stored };
        // A task's regular writes are kept as first stored (a retried task must not change them); errors, interrupts and resumes are replaced.
        await this.kv.put(key, record, `the write of task ${taskId} to channel "${channel}"`, { createOnly: idx >= 0, metadata: named });
      },
    );
  }

  async deleteThread(threadId: string): Promise<void> {
    // Checkpoints first: a thread half deleted reads as deleted, and deleting again finishes it.
    for (const kind of ['c', 'w', 'b'] as const) await this.kv.deleteAll(await this.kv.keys(prefixOf(kind, threadId)));
    await this.large.delete(await this.large.ofThread(threadId));
  }

  /**
   * Deletes a thread's old checkpoints: per checkpoint namespace, all but the newest `keepLast`
   * and the ancestors those still need — back to the last stored value of every delta channel
   * they replay, and the parent of a checkpoint older than format 4, whose pending sends it reads.
   * Writes of deleted checkpoints and channel values only deleted checkpoints used go with them.
   */
  async prune(threadId: string, options: { keepLast: number }): Promise<PruneResult> {
    if (!Number.isInteger(options.keepLast) || options.keepLast < 1) throw new Error(`MemsidecarSaver.prune: keepLast must be a positive integer, got ${options.keepLast}`);
    return pruneThread(this.kv, this.large, this.serde, threadId, options.keepLast);
  }

  /** The library's ancestor walk, in a few pages of kv reads rather than two calls per ancestor (saver-delta.ts). */
  override async getDeltaChannelHistory(options: { config: RunnableConfig; channels: string[] }): Promise<Record<string, DeltaChannelHistory>> {
    return deltaChannelHistory(this.kv, this.large, this.serde, options.config, options.channels);
  }

  /**
   * Versions are integers plus a random fraction: still increasing, but a branch forked from an old
   * checkpoint never reuses a version of the branch it left, so a channel value stored once per
   * version is never replaced by another branch's.
   */
  override getNextVersion(current: number | undefined): number {
    return Math.floor(current ?? 0) + 1 + Math.random() * 0.999;
  }

  private async pruneIfDue(threadId: string): Promise<void> {
    if (!this.retention) return;
    // Counts restart when many threads were seen: at worst a thread is pruned a little later.
    if (this.putsSincePrune.size >= 10_000 && !this.putsSincePrune.has(threadId)) this.putsSincePrune.clear();
    const puts = (this.putsSincePrune.get(threadId) ?? 0) + 1;
    this.putsSincePrune.set(threadId, puts % this.retention.pruneEvery);
    if (puts >= this.retention.pruneEvery) await pruneThread(this.kv, this.large, this.serde, threadId, this.retention.keepLast);
  }

  private async matchingMetadata(candidates: Stored[], filter: Record<string, unknown>): Promise<Stored[]> {
    const metadata = await Promise.all(candidates.map((s) => load(this.serde, s.record.metadata)));
    return candidates.filter((_, i) => contains(metadata[i], filter));
  }

  /** A stored checkpoint with its channel values and pending writes; undefined if its put was cut short. */
  private async hydrate(s: Stored): Promise<CheckpointTuple | undefined> {
    const { threadId, checkpointNs, checkpointId, record } = s;
    const [checkpoint, metadata] = (await Promise.all([load(this.serde, record.checkpoint), load(this.serde, record.metadata)])) as [Checkpoint, CheckpointMetadata];
    const versions = Object.entries(checkpoint.channel_versions ?? {});
    const legacySends = checkpoint.v < 4 && record.parent !== null;
    const own = Object.entries(record.own ?? {}).map(([channel, version]) => blobKey(threadId, checkpointNs, channel, version));
    const [blobs, writes, parentWrites] = await Promise.all([
      this.kv.mget([...versions.map(([channel, version]) => blobKey(threadId, checkpointNs, channel, version)), ...own]),
      this.writesOf(threadId, checkpointNs, checkpointId),
      legacySends ? this.writesOf(threadId, checkpointNs, record.parent!) : Promise.resolve([]),
    ]);
    if (own.some((key) => !blobs.has(key))) return undefined;
    const channelValues: Record<string, unknown> = {};
    await Promise.all(
      versions.map(async ([channel, version]) => {
        const key = blobKey(threadId, checkpointNs, channel, version);
        if (blobs.has(key)) channelValues[channel] = await this.large.load(this.serde, asBlob(key, blobs.get(key)));
      }),
    );
    checkpoint.channel_values = channelValues;
    checkpoint.channel_versions ??= {};
    checkpoint.versions_seen ??= {};
    if (legacySends) await this.migratePendingSends(checkpoint, parentWrites);
    const configurable = (id: string) => ({ configurable: { thread_id: threadId, checkpoint_ns: checkpointNs, checkpoint_id: id } });
    return {
      config: configurable(checkpointId),
      checkpoint,
      metadata,
      parentConfig: record.parent !== null ? configurable(record.parent) : undefined,
      pendingWrites: await Promise.all(writes.map(async (w): Promise<CheckpointPendingWrite> => [w.taskId, w.channel, await this.large.load(this.serde, w.value)])),
    };
  }

  /** A checkpoint's pending writes in the library's order: (task path, task id, index). */
  private async writesOf(threadId: string, checkpointNs: string, checkpointId: string): Promise<WriteRecord[]> {
    const records: WriteRecord[] = [];
    for await (const page of this.kv.pages(prefixOf('w', threadId, checkpointNs, checkpointId), { includeValues: true }))
      records.push(...page.map((entry) => asWriteRecord(entry.key, entry.value)));
    return records.sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
  }

  /** Checkpoints before format 4 kept pending sends as their parent's writes to `__pregel_tasks`. */
  private async migratePendingSends(checkpoint: Checkpoint, parentWrites: WriteRecord[]): Promise<void> {
    const sends = await Promise.all(parentWrites.filter((w) => w.channel === TASKS).map((w) => this.large.load(this.serde, w.value)));
    checkpoint.channel_values[TASKS] = sends;
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
  }
}

/** Whether `actual` has every field of `expected`, objects compared field by field (as Postgres's `@>`). */
function contains(actual: unknown, expected: unknown): boolean {
  if (typeof expected !== 'object' || expected === null) return actual === expected;
  if (typeof actual !== 'object' || actual === null) return false;
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((e) => actual.some((a) => contains(a, e)));
  return Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
}

export type { PruneResult };
