import { createHash } from 'node:crypto';
import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';
import { MemoryError, type MemoryClient } from '@memsidecar/client';
import type { CheckpointKv } from './saver-kv';
import type { Serialized } from './saver-records';

/** kv metadata naming the artifact a key's value lives in, so listings without values find it. */
export const ARTIFACT_METADATA = 'artifact';

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** Every artifact of a thread starts with this: `deleteThread` finds them all, even ones no key names. */
export const artifactPrefixOf = (threadId: string): string => `${sha256(threadId).slice(0, 32)}.`;

/**
 * Channel values and writes too large for a kv value go to the artifact block, in the saver's
 * namespace, and the kv key keeps the artifact's id. The id is derived from the thread, the key and
 * the bytes, so storing the same value again writes the same artifact.
 */
export class LargeValues {
  constructor(
    private readonly client: MemoryClient,
    private readonly kv: CheckpointKv,
    /** Serialized values above this many bytes go to an artifact. */
    readonly thresholdBytes: number,
  ) {}

  /** What to store at `key` for `value`, and the kv metadata that names its artifact, if it got one. */
  async place(threadId: string, key: string, value: Serialized): Promise<{ stored: Serialized; metadata?: Record<string, string> }> {
    // base64: four characters per three bytes.
    if ((value.data.length * 3) / 4 <= this.thresholdBytes) return { stored: value };
    const bytes = Buffer.from(value.data, 'base64');
    const id = `${artifactPrefixOf(threadId)}${sha256(`${key}\0${sha256(bytes)}`).slice(0, 64)}`;
    const ref = await this.client.artifact.upload(this.kv.ns, bytes, { id, contentType: 'application/octet-stream', metadata: { key } });
    this.kv.saw(ref.seq);
    return { stored: { type: value.type, data: '', artifact: id }, metadata: { [ARTIFACT_METADATA]: id } };
  }

  async load(serde: SerializerProtocol, stored: Serialized): Promise<unknown> {
    if (stored.artifact === undefined) return serde.loadsTyped(stored.type, new Uint8Array(Buffer.from(stored.data, 'base64')));
    const bytes = await this.client.artifact.download({ ns: this.kv.ns, id: stored.artifact, ...this.kv.consistency });
    return serde.loadsTyped(stored.type, new Uint8Array(bytes));
  }

  /** Deletes artifacts by id; one already gone is not an error. */
  async delete(ids: string[]): Promise<void> {
    await this.kv.inParallel([...new Set(ids)], async (id) => {
      try {
        this.kv.saw((await this.client.artifact.delete({ ns: this.kv.ns, id })).seq);
      } catch (e) {
        if (!(e instanceof MemoryError && e.code === 'NOT_FOUND')) throw e;
      }
    });
  }

  /** Every artifact of the thread, named by a key or not (a write that lost a race to store first leaves one). */
  async ofThread(threadId: string): Promise<string[]> {
    const ids: string[] = [];
    let startAfter: string | undefined;
    do {
      const page = await this.client.artifact.list({ ns: this.kv.ns, prefix: artifactPrefixOf(threadId), limit: 1000, ...(startAfter ? { startAfter } : {}), ...this.kv.consistency });
      ids.push(...page.items.map((i) => i.id));
      startAfter = page.nextStartAfter ?? undefined;
    } while (startAfter !== undefined);
    return ids;
  }
}
