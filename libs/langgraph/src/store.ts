import {
  BaseStore,
  type GetOperation,
  type Item,
  type ListNamespacesOperation,
  type MatchCondition,
  type Operation,
  type OperationResults,
  type PutOperation,
  type SearchItem,
  type SearchOperation,
  validateNamespace,
} from '@langchain/langgraph-checkpoint';
import { MemoryError, type KvEntry, type MemoryClient } from '@memsidecar/client';
import { assertFilter, matchesFilter, type SearchFilter } from './store-filter';
import { StoreIndex, type StoreIndexConfig } from './store-index';
import { assertNamespace, decodeItemKey, itemKey, namespacePrefix } from './store-keys';
import { loadEntry, newStamp, type LoadedItem, type StoredItem } from './store-records';
import { textsToIndex } from './store-text';

export type { StoreIndexConfig } from './store-index';

export interface StoreTtlConfig {
  /** Minutes an item lives after its write when `put` names no TTL; absent: items live until deleted. */
  defaultTtl?: number;
  /** Whether `get` and `search` renew the TTL of the items they return; default true. */
  refreshOnRead?: boolean;
}

export interface MemsidecarStoreOptions {
  client: MemoryClient;
  /** The kv namespace holding the items; default `langgraph-store`. Give each store its own. */
  ns?: string;
  /** Semantic search for `query`; without it, `query` is ignored, as in LangGraph's stores. */
  index?: StoreIndexConfig;
  ttl?: StoreTtlConfig;
}

/** A put with its own TTL in minutes (`store.put(..., {ttl})`). */
export interface MemsidecarPutOperation extends PutOperation {
  ttl?: number;
}

/** A search that renews the TTL of what it returns even when the store does not on every read. */
export interface MemsidecarSearchOperation extends SearchOperation {
  refreshTtl?: boolean;
}

const PAGE = 1000;
const MAX_TOP_K = 1000;

/**
 * LangGraph's long-term memory store on memsidecar: items in kv, one key per item, and, with
 * `index`, their embedded texts in semantic. Namespaces are isolated exactly: a prefix matches
 * whole labels only.
 */
export class MemsidecarStore extends BaseStore {
  readonly ns: string;
  private readonly client: MemoryClient;
  private readonly index?: StoreIndex;
  private readonly ttl: Required<Pick<StoreTtlConfig, 'refreshOnRead'>> & StoreTtlConfig;
  /** The stream sequence of this store's last write: reads wait for it, so any instance serves them. */
  private lastSeq = 0;

  constructor(options: MemsidecarStoreOptions) {
    super();
    this.client = options.client;
    this.ns = options.ns ?? 'langgraph-store';
    if (options.ttl?.defaultTtl !== undefined) assertTtl(options.ttl.defaultTtl, 'ttl.defaultTtl');
    this.ttl = { refreshOnRead: true, ...options.ttl };
    if (options.index) this.index = new StoreIndex(this.client, options.index.ns ?? this.ns, options.index);
  }

  override async put(namespace: string[], key: string, value: Record<string, unknown>, index?: false | string[], options?: { ttl?: number }): Promise<void> {
    validateNamespace(namespace);
    await this.batch([{ namespace, key, value, index, ttl: options?.ttl } as MemsidecarPutOperation]);
  }

  override async search(
    namespacePrefix: string[],
    options: { filter?: SearchFilter; limit?: number; offset?: number; query?: string; refreshTtl?: boolean } = {},
  ): Promise<SearchItem[]> {
    const { filter, limit = 10, offset = 0, query, refreshTtl } = options;
    return (await this.batch([{ namespacePrefix, filter, limit, offset, query, refreshTtl } as MemsidecarSearchOperation]))[0];
  }

  /** Reads first, then the writes (the last write of a key wins), as LangGraph's stores do. */
  async batch<Op extends Operation[]>(operations: Op): Promise<OperationResults<Op>> {
    operations.forEach(assertOperation);
    const puts = new Map<string, MemsidecarPutOperation>();
    const reads = operations.map((op): Promise<unknown> => {
      if ('namespacePrefix' in op) return this.searchOp(op);
      if ('value' in op) {
        puts.set(itemKey(op.namespace, op.key), op);
        return Promise.resolve(undefined);
      }
      if ('key' in op) return this.getOp(op);
      return this.listNamespacesOp(op);
    });
    const results = await Promise.all(reads);
    await Promise.all([...puts.entries()].map(([kvKey, op]) => (op.value === null ? this.deleteItem(kvKey) : this.putItem(kvKey, op))));
    return results as OperationResults<Op>;
  }

  private async getOp(op: GetOperation): Promise<Item | null> {
    const entry = await this.client.kv.get({ ns: this.ns, key: itemKey(op.namespace, op.key), minSeq: this.lastSeq });
    const loaded = entry.found ? loadEntry(entry) : null;
    if (!loaded) return null;
    if (this.ttl.refreshOnRead) await this.renew([loaded]);
    return loaded.item;
  }

  private async putItem(kvKey: string, op: MemsidecarPutOperation): Promise<void> {
    const value = op.value as Record<string, unknown>;
    if (typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`An item's value must be an object, got ${JSON.stringify(value)}.`);
    const ttl = op.ttl ?? this.ttl.defaultTtl;
    if (ttl !== undefined) assertTtl(ttl, 'ttl');
    const texts = this.index && op.index !== false ? textsToIndex(value, op.index ?? this.index.fields) : [];
    const stored: StoredItem = { value, stamp: newStamp(), records: texts.length, ...(ttl !== undefined ? { ttl } : {}) };
    if (!this.index) return this.noteSeq(await this.client.kv.put({ ns: this.ns, key: kvKey, value: stored, ...ttlMs(ttl) }));
    const previous = await this.compareAndSet(kvKey, (version) => this.client.kv.put({ ns: this.ns, key: kvKey, value: stored, ifVersion: version, ...ttlMs(ttl) }));
    await this.index.write(kvKey, op.namespace, texts, stored.stamp);
    if (previous?.records) await this.index.remove(kvKey, previous.stamp);
  }

  private async deleteItem(kvKey: string): Promise<void> {
    if (!this.index) return this.noteSeq(await this.client.kv.delete({ ns: this.ns, key: kvKey }));
    const previous = await this.compareAndSet(kvKey, (version) => (version === 0 ? Promise.resolve({}) : this.client.kv.delete({ ns: this.ns, key: kvKey, ifVersion: version })));
    if (previous?.records) await this.index.remove(kvKey, previous.stamp);
  }

  /**
   * Writes over exactly the version read, reading again when another write came first, so the
   * records of the write replaced are known and removed: concurrent writes of one item never
   * leave the index describing a value that is not the stored one.
   */
  private async compareAndSet(kvKey: string, write: (version: number) => Promise<{ seq?: number }>): Promise<StoredItem | null> {
    for (;;) {
      const current = await this.client.kv.get({ ns: this.ns, key: kvKey, minSeq: this.lastSeq });
      const loaded = current.found ? loadEntry(current) : null;
      try {
        this.noteSeq(await write(current.found ? current.version : 0));
        return loaded?.stored ?? null;
      } catch (e) {
        if (!(e instanceof MemoryError && e.reason === 'VERSION_MISMATCH')) throw e;
      }
    }
  }

  /** Renews the TTL of items that have one; a write that came in between set its own, and wins. */
  private async renew(items: LoadedItem[]): Promise<void> {
    await Promise.all(
      items
        .filter((l) => l.stored.ttl !== undefined)
        .map(async (l) => {
          const stored: StoredItem = { ...l.stored, updatedAt: l.item.updatedAt.toISOString() };
          try {
            this.noteSeq(await this.client.kv.put({ ns: this.ns, key: l.kvKey, value: stored, ifVersion: l.version, ...ttlMs(l.stored.ttl) }));
          } catch (e) {
            if (!(e instanceof MemoryError && e.reason === 'VERSION_MISMATCH')) throw e;
          }
        }),
    );
  }

  private noteSeq({ seq }: { seq?: number }): void {
    if (seq) this.lastSeq = Math.max(this.lastSeq, seq);
  }

  private async searchOp(op: MemsidecarSearchOperation): Promise<SearchItem[]> {
    const offset = op.offset ?? 0;
    const limit = op.limit ?? 10;
    const found = op.query && this.index ? await this.rankedSearch(op, offset, limit) : await this.scan(op, offset, limit, () => true);
    if (op.refreshTtl ?? this.ttl.refreshOnRead) await this.renew(found.map((f) => f.loaded));
    return found.map(({ loaded, score }) => ({ ...loaded.item, score }));
  }

  /** Items under the prefix that pass the filter (and `accept`), in key order, from `offset`. */
  private async scan(op: SearchOperation, offset: number, limit: number, accept: (l: LoadedItem) => boolean): Promise<{ loaded: LoadedItem; score?: number }[]> {
    const found: { loaded: LoadedItem }[] = [];
    let skipped = 0;
    for await (const entry of this.entries(namespacePrefix(op.namespacePrefix), true)) {
      const loaded = loadEntry(entry);
      if (!loaded || !matchesFilter(loaded.item.value, op.filter) || !accept(loaded)) continue;
      if (skipped++ < offset) continue;
      found.push({ loaded });
      if (found.length >= limit) break;
    }
    return found;
  }

  /**
   * Items by their best record's score; then, as LangGraph's stores do, the items under the
   * prefix that have no index records, unscored, in key order.
   */
  private async rankedSearch(op: SearchOperation, offset: number, limit: number): Promise<{ loaded: LoadedItem; score?: number }[]> {
    const index = this.index as StoreIndex;
    const wanted = offset + limit;
    let topK = Math.min(MAX_TOP_K, Math.max(wanted * 3, 20));
    for (;;) {
      const hits = await index.search(op.namespacePrefix, op.query as string, topK);
      const keys = [...new Set(hits.map((h) => h.kvKey))];
      const items = new Map<string, LoadedItem>();
      for (let at = 0; at < keys.length; at += PAGE) {
        const { items: entries } = await this.client.kv.mget({ ns: this.ns, keys: keys.slice(at, at + PAGE), minSeq: this.lastSeq });
        for (const entry of entries) {
          const loaded = loadEntry(entry);
          if (loaded) items.set(entry.key, loaded);
        }
      }
      const ranked: { loaded: LoadedItem; score: number }[] = [];
      const taken = new Set<string>();
      for (const hit of hits) {
        const loaded = items.get(hit.kvKey);
        if (!loaded || taken.has(hit.kvKey) || loaded.stored.stamp !== hit.stamp || !matchesFilter(loaded.item.value, op.filter)) continue;
        taken.add(hit.kvKey);
        ranked.push({ loaded, score: hit.score });
      }
      const exhausted = hits.length < topK;
      if (ranked.length >= wanted || exhausted || topK >= MAX_TOP_K) {
        const page: { loaded: LoadedItem; score?: number }[] = ranked.slice(offset, wanted);
        if (page.length < limit && exhausted) {
          page.push(...(await this.scan(op, Math.max(0, offset - ranked.length), limit - page.length, (l) => l.stored.records === 0)));
        }
        return page;
      }
      topK = Math.min(MAX_TOP_K, topK * 4);
    }
  }

  private async listNamespacesOp(op: ListNamespacesOperation): Promise<string[][]> {
    const conditions = op.matchConditions ?? [];
    const prefixCondition = conditions.find((c) => c.matchType === 'prefix');
    const fixed = prefixCondition ? prefixCondition.path.slice(0, indexOrLength(prefixCondition.path, '*')) : [];
    const seen = new Map<string, string[]>();
    for await (const entry of this.entries(namespacePrefix(fixed), false)) {
      const decoded = decodeItemKey(entry.key);
      if (!decoded || !conditions.every((c) => matchesCondition(c, decoded.namespace))) continue;
      const namespace = op.maxDepth !== undefined ? decoded.namespace.slice(0, op.maxDepth) : decoded.namespace;
      seen.set(namespace.join(':'), namespace);
    }
    const sorted = [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, ns]) => ns);
    const offset = op.offset ?? 0;
    return sorted.slice(offset, offset + (op.limit ?? sorted.length));
  }

  /** Every live kv entry whose key starts with `prefix`, in key order, page by page. */
  private async *entries(prefix: string, includeValues: boolean): AsyncGenerator<KvEntry> {
    let startAfter: string | undefined;
    do {
      const page = await this.client.kv.list({ ns: this.ns, prefix, limit: PAGE, includeValues, minSeq: this.lastSeq, ...(startAfter ? { startAfter } : {}) });
      yield* page.items;
      startAfter = page.nextStartAfter ?? undefined;
    } while (startAfter);
  }
}

/** Every operation is checked before any runs: a bad one fails the batch with nothing done. */
function assertOperation(op: Operation): void {
  if ('namespacePrefix' in op) {
    assertNamespace(op.namespacePrefix, { allowEmpty: true });
    assertFilter(op.filter);
  } else if ('namespace' in op && 'key' in op) {
    assertNamespace(op.namespace, { allowEmpty: false });
    if ('value' in op) itemKey(op.namespace, op.key);
  } else if ('limit' in op || 'matchConditions' in op) {
    for (const c of op.matchConditions ?? []) assertNamespace(c.path.filter((label) => label !== '*'), { allowEmpty: true });
  } else {
    throw new TypeError(`Unknown store operation: ${JSON.stringify(op)}`);
  }
}

function matchesCondition({ matchType, path }: MatchCondition, namespace: string[]): boolean {
  if (path.length > namespace.length) return false;
  const start = matchType === 'prefix' ? 0 : namespace.length - path.length;
  return path.every((label, i) => label === '*' || namespace[start + i] === label);
}

const indexOrLength = (path: string[], label: string): number => (path.includes(label) ? path.indexOf(label) : path.length);

function assertTtl(minutes: number, field: string): void {
  if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0) throw new RangeError(`${field} must be a positive number of minutes, got ${minutes}.`);
}

const ttlMs = (minutes: number | undefined): { ttlMs?: number } => (minutes === undefined ? {} : { ttlMs: Math.max(1, Math.round(minutes * 60_000)) });
