import type { RunnableConfig } from '@langchain/core/runnables';
import {
  compareWritesSortKeys,
  writesSortKey,
  type Checkpoint,
  type CheckpointPendingWrite,
  type DeltaChannelHistory,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import type { CheckpointKv } from './saver-kv';
import type { LargeValues } from './saver-large-values';
import { addressOf, blobKey, checkpointKey, prefixOf } from './saver-keys';
import { asBlob, asCheckpointRecord, asWriteRecord, load, type CheckpointRecord, type WriteRecord } from './saver-records';

/** Records fetched per page of the ancestor walk. */
const PAGE = 50;

interface Ancestor {
  id: string;
  versions: Record<string, string | number>;
}

/**
 * `getDeltaChannelHistory` in a few pages instead of two calls per ancestor: the ancestors come
 * from one reverse listing of the thread's checkpoints, their stored values of the channels asked
 * for from one `mget` per page, and the writes of the whole walk from one reverse listing of the
 * thread's writes. The result is the library's contract: per channel, the on-path writes oldest to
 * newest (each checkpoint's in `writesSortKey` order) back to and including the nearest ancestor
 * with a stored value, which is the seed.
 */
export async function deltaChannelHistory(
  kv: CheckpointKv,
  large: LargeValues,
  serde: SerializerProtocol,
  config: RunnableConfig,
  channels: string[],
): Promise<Record<string, DeltaChannelHistory>> {
  const empty = () => Object.fromEntries(channels.map((ch) => [ch, { writes: [] }])) as Record<string, DeltaChannelHistory>;
  if (channels.length === 0) return {};
  const { thread_id, checkpoint_ns: checkpointNs = '', checkpoint_id } = config.configurable ?? {};
  if (thread_id === undefined || thread_id === null) return empty();
  const threadId = String(thread_id);
  const target = await targetOf(kv, threadId, checkpointNs, checkpoint_id);
  if (target === undefined) return empty();

  const walk = new AncestorPages(kv, serde, threadId, checkpointNs, target.id, channels);
  const remaining = new Set(channels);
  const seeds = new Map<string, unknown>();
  /** Ancestors in walk order (newest first), and for each channel how many of them it reads writes from. */
  const chain: string[] = [];
  const depth = new Map(channels.map((ch) => [ch, 0]));
  for (let at = target.record.parent; at !== null && remaining.size > 0; ) {
    const ancestor = await walk.find(at);
    if (ancestor === undefined) break;
    chain.push(ancestor.id);
    for (const ch of remaining) depth.set(ch, chain.length);
    for (const ch of [...remaining]) {
      const stored = ancestor.versions[ch] === undefined ? undefined : await walk.value(ch, ancestor.versions[ch]);
      if (stored === undefined) continue;
      seeds.set(ch, await large.load(serde, stored));
      remaining.delete(ch);
    }
    at = walk.parentOf(ancestor.id);
  }
  if (chain.length === 0) return empty();

  const writes = await writesOfChain(kv, threadId, checkpointNs, target.id, chain, new Set(channels));
  const result: Record<string, DeltaChannelHistory> = {};
  for (const ch of channels) {
    const onPath: CheckpointPendingWrite[] = [];
    // Oldest ancestor first, each checkpoint's writes in the library's order.
    for (const id of chain.slice(0, depth.get(ch)).reverse())
      for (const w of writes.get(id) ?? []) if (w.channel === ch) onPath.push([w.taskId, w.channel, await large.load(serde, w.value)]);
    result[ch] = seeds.has(ch) ? { writes: onPath, seed: seeds.get(ch) } : { writes: onPath };
  }
  return result;
}

async function targetOf(kv: CheckpointKv, threadId: string, checkpointNs: string, checkpointId: string | undefined): Promise<{ id: string; record: CheckpointRecord } | undefined> {
  if (checkpointId) {
    const key = checkpointKey(threadId, checkpointNs, checkpointId);
    const value = await kv.get(key);
    return value === undefined ? undefined : { id: checkpointId, record: asCheckpointRecord(key, value) };
  }
  // The newest checkpoint whose put stored every value it names (as getTuple reads it).
  for await (const page of kv.pages(prefixOf('c', threadId, checkpointNs), { reverse: true, includeValues: true, pageSize: 2 }))
    for (const latest of page) {
      const record = asCheckpointRecord(latest.key, latest.value);
      const own = Object.entries(record.own ?? {}).map(([channel, version]) => blobKey(threadId, checkpointNs, channel, version));
      const found = own.length > 0 ? await kv.mget(own) : new Map();
      if (own.every((k) => found.has(k))) return { id: addressOf(latest.key).checkpointId, record };
    }
  return undefined;
}

/** The checkpoints older than the target, a page at a time, with the stored values of the channels walked. */
class AncestorPages {
  private readonly pages: AsyncGenerator<{ key: string; value?: unknown }[]>;
  private readonly loaded = new Map<string, { ancestor: Ancestor; parent: string | null }>();
  private readonly values = new Map<string, unknown>();
  private oldest: string | undefined;
  private done = false;

  constructor(
    private readonly kv: CheckpointKv,
    private readonly serde: SerializerProtocol,
    private readonly threadId: string,
    private readonly checkpointNs: string,
    targetId: string,
    private readonly channels: string[],
  ) {
    this.pages = kv.pages(prefixOf('c', threadId, checkpointNs), { reverse: true, includeValues: true, startAfter: checkpointKey(threadId, checkpointNs, targetId), pageSize: PAGE });
  }

  parentOf(id: string): string | null {
    return this.loaded.get(id)?.parent ?? null;
  }

  /** The ancestor `id`; a parent is older than its child, so once the pages pass below it, it is not stored. */
  async find(id: string): Promise<Ancestor | undefined> {
    while (!this.loaded.has(id) && !this.done && (this.oldest === undefined || this.oldest > id)) {
      const next = await this.pages.next();
      if (next.done) this.done = true;
      else await this.add(next.value);
    }
    return this.loaded.get(id)?.ancestor;
  }

  /** The stored value of `channel` at `version`, if one was stored. */
  async value(channel: string, version: string | number): Promise<ReturnType<typeof asBlob> | undefined> {
    const key = blobKey(this.threadId, this.checkpointNs, channel, version);
    if (!this.values.has(key)) this.values.set(key, await this.kv.get(key));
    const value = this.values.get(key);
    return value === undefined ? undefined : asBlob(key, value);
  }

  private async add(page: { key: string; value?: unknown }[]): Promise<void> {
    const keys: string[] = [];
    for (const entry of page) {
      const { checkpointId } = addressOf(entry.key);
      const record = asCheckpointRecord(entry.key, entry.value);
      const checkpoint = (await load(this.serde, record.checkpoint)) as Checkpoint;
      const versions = checkpoint.channel_versions ?? {};
      this.loaded.set(checkpointId, { ancestor: { id: checkpointId, versions }, parent: record.parent });
      for (const channel of this.channels) if (versions[channel] !== undefined) keys.push(blobKey(this.threadId, this.checkpointNs, channel, versions[channel]));
      this.oldest = checkpointId;
    }
    // One round trip for the whole page's values; absent keys are remembered as absent.
    const wanted = keys.filter((k) => !this.values.has(k));
    const found = await this.kv.mget(wanted);
    for (const k of wanted) this.values.set(k, found.get(k));
  }
}

/** The writes of the chain's checkpoints, by checkpoint, each in `writesSortKey` order. */
async function writesOfChain(kv: CheckpointKv, threadId: string, checkpointNs: string, targetId: string, chain: string[], channels: Set<string>): Promise<Map<string, WriteRecord[]>> {
  const members = new Set(chain);
  const below = prefixOf('w', threadId, checkpointNs, chain[chain.length - 1]);
  const byCheckpoint = new Map<string, WriteRecord[]>();
  scan: for await (const page of kv.pages(prefixOf('w', threadId, checkpointNs), { reverse: true, includeValues: true, startAfter: prefixOf('w', threadId, checkpointNs, targetId), pageSize: 200 })) {
    for (const entry of page) {
      if (entry.key < below) break scan;
      const { checkpointId } = addressOf(entry.key);
      if (!members.has(checkpointId)) continue;
      const w = asWriteRecord(entry.key, entry.value);
      if (!channels.has(w.channel)) continue;
      byCheckpoint.set(checkpointId, [...(byCheckpoint.get(checkpointId) ?? []), w]);
    }
  }
  for (const writes of byCheckpoint.values()) writes.sort((a, b) => compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)));
  return byCheckpoint;
}
