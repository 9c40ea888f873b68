import { createHash } from 'node:crypto';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { MemoryClient, SemanticMetadata, SemanticRecordInput } from '@memsidecar/client';
import type { IndexedText } from './store-text';

export interface StoreIndexConfig {
  /** Which parts of a value are embedded, as LangGraph field paths; default `["$"]`, the whole value. */
  fields?: string[];
  /**
   * Embed here and send vectors. Absent: the service embeds with the semantic namespace's
   * embedder. With it, the semantic namespace must be one whose vectors have this model's dimension.
   */
  embeddings?: EmbeddingsInterface;
  /** The semantic namespace holding the index; default: the store's kv namespace. */
  ns?: string;
}

/** A record's metadata holds every label under its depth, and at most 64 entries fit. */
const MAX_INDEXED_DEPTH = 60;
const UPSERT_BATCH = 100;
const EXPIRE_MAX_ROWS = 10_000;

export interface IndexHit {
  kvKey: string;
  stamp: string;
  score: number;
}

/**
 * The semantic side of the store: one record per embedded text of an item, found by the item's
 * labels (`l0`, `l1`, ... in metadata: a namespace prefix is an exact-match filter) and tied to
 * the item's write by `stamp`, so a record left from an older write of the item is never taken
 * for the current one.
 */
export class StoreIndex {
  readonly fields: string[];
  /** The stream sequence of the last index write: searches wait for it. */
  private lastSeq = 0;

  constructor(
    private readonly client: MemoryClient,
    readonly ns: string,
    private readonly config: StoreIndexConfig,
  ) {
    this.fields = config.fields ?? ['$'];
  }

  /** Writes the records of one write of an item (`stamp`), beside any older ones. */
  async write(kvKey: string, namespace: string[], texts: IndexedText[], stamp: string): Promise<void> {
    if (texts.length === 0) return;
    if (namespace.length > MAX_INDEXED_DEPTH) throw new RangeError(`An indexed item's namespace has at most ${MAX_INDEXED_DEPTH} labels, got ${namespace.length}.`);
    const vectors = this.config.embeddings ? await this.config.embeddings.embedDocuments(texts.map((t) => t.text)) : undefined;
    const item = itemHash(kvKey);
    const metadata: SemanticMetadata = { item, stamp, ...labelFilter(namespace) };
    const records: SemanticRecordInput[] = texts.map((t, i) => ({
      id: `${item}:${stamp}:${i}`,
      ...(vectors ? { vector: vectors[i] } : { content: t.text }),
      payload: { key: kvKey, field: t.field },
      metadata,
    }));
    for (let at = 0; at < records.length; at += UPSERT_BATCH) {
      const { seq } = await this.client.semantic.upsert({ ns: this.ns, records: records.slice(at, at + UPSERT_BATCH) });
      this.lastSeq = Math.max(this.lastSeq, seq);
    }
  }

  /** Removes the records of one write of an item. */
  async remove(kvKey: string, stamp: string): Promise<void> {
    const { seq } = await this.client.semantic.expire({ ns: this.ns, filter: { item: itemHash(kvKey), stamp }, action: 'hard', maxRows: EXPIRE_MAX_ROWS });
    if (seq) this.lastSeq = Math.max(this.lastSeq, seq);
  }

  /** Records under `prefix`, best first (several per item when it has several texts). */
  async search(prefix: string[], query: string, topK: number): Promise<IndexHit[]> {
    const filter = labelFilter(prefix);
    const hasFilter = Object.keys(filter).length > 0;
    const queryInput = this.config.embeddings ? { queryVector: await this.config.embeddings.embedQuery(query) } : { queryText: query };
    const { hits } = await this.client.semantic.search({ ns: this.ns, ...queryInput, topK, includePayload: true, minSeq: this.lastSeq, ...(hasFilter ? { filter } : {}) });
    return hits.flatMap((hit) => {
      const key = (hit.payload as { key?: unknown } | undefined)?.key;
      const stamp = hit.metadata.stamp;
      return typeof key === 'string' && typeof stamp === 'string' ? [{ kvKey: key, stamp, score: hit.score }] : [];
    });
  }
}

const labelFilter = (namespace: string[]): Record<string, string> => Object.fromEntries(namespace.map((label, i) => [`l${i}`, label]));

/** Record ids are `[A-Za-z0-9_.:-]`, so an item is named by a digest of its kv key. */
const itemHash = (kvKey: string): string => createHash('sha256').update(kvKey).digest('hex');
