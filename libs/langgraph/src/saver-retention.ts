import type { Checkpoint, CheckpointMetadata, SerializerProtocol } from '@langchain/langgraph-checkpoint';
import type { CheckpointKv } from './saver-kv';
import { ARTIFACT_METADATA, type LargeValues } from './saver-large-values';
import { addressOf, blobKey, prefixOf } from './saver-keys';
import { checkpointsToKeep, type LineageNode } from './saver-lineage';
import { asCheckpointRecord, load } from './saver-records';

export interface PruneResult {
  /** Checkpoints deleted. */
  checkpoints: number;
  /** Pending writes deleted (those of the deleted checkpoints). */
  writes: number;
  /** Channel values deleted (those only deleted checkpoints named). */
  channelValues: number;
}

interface Loaded {
  checkpointNs: string;
  node: LineageNode;
  key: string;
  /** The channel value key of each channel the checkpoint names a version of. */
  blobs: Map<string, string>;
  /** The channel value keys its own put stored, which it cannot be read without. */
  own: string[];
}

/**
 * Keeps, per checkpoint namespace of the thread, the newest `keepLast` checkpoints and what they
 * need (`checkpointsToKeep`), and deletes the rest. Safe beside a graph running on the thread: a
 * channel value is deleted only when a deleted checkpoint names it and no kept one does, so values
 * a checkpoint being put right now names (new ones, or its parent's, which is kept) stay.
 */
export async function pruneThread(kv: CheckpointKv, large: LargeValues, serde: SerializerProtocol, threadId: string, keepLast: number): Promise<PruneResult> {
  const [loaded, storedBlobs] = await Promise.all([loadThread(kv, serde, threadId), kv.entries(prefixOf('b', threadId))]);
  const existing = new Map(storedBlobs.map((e) => [e.key, e.metadata[ARTIFACT_METADATA]]));
  for (const l of loaded) l.node.stored = new Set([...l.blobs].filter(([, key]) => existing.has(key)).map(([channel]) => channel));

  const doomed: Loaded[] = [];
  const kept: Loaded[] = [];
  for (const checkpointNs of new Set(loaded.map((l) => l.checkpointNs))) {
    const inNs = loaded.filter((l) => l.checkpointNs === checkpointNs);
    const keep = checkpointsToKeep(inNs.map((l) => l.node), keepLast);
    for (const l of inNs) (keep.has(l.node.id) ? kept : doomed).push(l);
  }
  if (doomed.length === 0) return { checkpoints: 0, writes: 0, channelValues: 0 };

  const checkpoints = await kv.deleteAll(doomed.map((l) => l.key));
  const doomedIds = new Set(doomed.map((l) => `${l.checkpointNs}\0${l.node.id}`));
  const doomedWrites = (await kv.entries(prefixOf('w', threadId))).filter((e) => {
    const a = addressOf(e.key);
    return doomedIds.has(`${a.checkpointNs}\0${a.checkpointId}`);
  });
  const stillNamed = new Set(kept.flatMap((l) => [...l.blobs.values(), ...l.own]));
  const blobKeys = [...new Set(doomed.flatMap((l) => [...l.blobs.values()]))].filter((k) => existing.has(k) && !stillNamed.has(k));
  const [writes, channelValues] = await Promise.all([kv.deleteAll(doomedWrites.map((e) => e.key)), kv.deleteAll(blobKeys)]);
  // Their artifacts after the keys: a key never names an artifact that is gone.
  const artifacts = [...doomedWrites.map((e) => e.metadata[ARTIFACT_METADATA]), ...blobKeys.map((k) => existing.get(k))];
  await large.delete(artifacts.filter((id): id is string => id !== undefined));
  return { checkpoints, writes, channelValues };
}

async function loadThread(kv: CheckpointKv, serde: SerializerProtocol, threadId: string): Promise<Loaded[]> {
  const loaded: Loaded[] = [];
  for await (const page of kv.pages(prefixOf('c', threadId), { includeValues: true, pageSize: 200 })) {
    for (const entry of page) {
      const { checkpointNs, checkpointId } = addressOf(entry.key);
      const record = asCheckpointRecord(entry.key, entry.value);
      const [checkpoint, metadata] = (await Promise.all([load(serde, record.checkpoint), load(serde, record.metadata)])) as [Checkpoint, CheckpointMetadata];
      const versions = Object.entries(checkpoint.channel_versions ?? {});
      loaded.push({
        checkpointNs,
        key: entry.key,
        blobs: new Map(versions.map(([channel, version]) => [channel, blobKey(threadId, checkpointNs, channel, version)])),
        own: Object.entries(record.own ?? {}).map(([channel, version]) => blobKey(threadId, checkpointNs, channel, version)),
        node: {
          id: checkpointId,
          parent: record.parent,
          readsParentSends: checkpoint.v < 4,
          replays: Object.keys(metadata?.counters_since_delta_snapshot ?? {}),
          stored: new Set(),
        },
      });
    }
  }
  return loaded;
}
