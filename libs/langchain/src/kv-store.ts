import { BaseStore } from '@langchain/core/stores';
import type { MemoryClient } from '@memsidecar/client';

export interface MemsidecarKeyValueStoreOptions {
  client: MemoryClient;
  /** The kv namespace; default `langchain-store`. */
  ns?: string;
  /** Minutes each key lives after its write; absent: until deleted. */
  ttlMinutes?: number;
}

/** What a key holds in kv: JSON as it is, bytes as base64 (LangChain's caches store `Uint8Array`s). */
type Stored = { json: unknown } | { bytes: string };

const BATCH = 1000;
/** Puts and deletes in flight at once. */
const PARALLEL = 16;

/**
 * LangChain's key-value store on memsidecar's kv: values are JSON or `Uint8Array`, keys are
 * 1-512 bytes of UTF-8. `yieldKeys(prefix)` lists in byte order, page by page.
 */
export class MemsidecarKeyValueStore<T = unknown> extends BaseStore<string, T> {
  lc_namespace = ['memsidecar', 'langchain', 'storage'];
  readonly ns: string;
  private readonly client: MemoryClient;
  private readonly ttlMs?: number;
  private lastSeq = 0;

  constructor(options: MemsidecarKeyValueStoreOptions) {
    super({ ns: options.ns });
    this.client = options.client;
    this.ns = options.ns ?? 'langchain-store';
    if (options.ttlMinutes !== undefined) {
      if (!Number.isFinite(options.ttlMinutes) || options.ttlMinutes <= 0) throw new RangeError(`ttlMinutes must be a positive number, got ${options.ttlMinutes}.`);
      this.ttlMs = Math.max(1, Math.round(options.ttlMinutes * 60_000));
    }
  }

  async mget(keys: string[]): Promise<(T | undefined)[]> {
    const found = new Map<string, T>();
    const unique = [...new Set(keys)];
    for (let at = 0; at < unique.length; at += BATCH) {
      const { items } = await this.client.kv.mget({ ns: this.ns, keys: unique.slice(at, at + BATCH), minSeq: this.lastSeq });
      for (const item of items) found.set(item.key, decode(item.value) as T);
    }
    return keys.map((k) => found.get(k));
  }

  async mset(keyValuePairs: [string, T][]): Promise<void> {
    await inParallel(keyValuePairs, async ([key, value]) => {
      const { seq } = await this.client.kv.put({ ns: this.ns, key, value: encode(value), ...(this.ttlMs ? { ttlMs: this.ttlMs } : {}) });
      this.lastSeq = Math.max(this.lastSeq, seq);
    });
  }

  async mdelete(keys: string[]): Promise<void> {
    await inParallel(keys, async (key) => {
      const { seq } = await this.client.kv.delete({ ns: this.ns, key });
      if (seq) this.lastSeq = Math.max(this.lastSeq, seq);
    });
  }

  async *yieldKeys(prefix = ''): AsyncGenerator<string> {
    let startAfter: string | undefined;
    do {
      const page = await this.client.kv.list({ ns: this.ns, prefix, limit: BATCH, minSeq: this.lastSeq, ...(startAfter ? { startAfter } : {}) });
      for (const item of page.items) yield item.key;
      startAfter = page.nextStartAfter ?? undefined;
    } while (startAfter);
  }
}

const encode = (value: unknown): Stored => (value instanceof Uint8Array ? { bytes: Buffer.from(value).toString('base64') } : { json: value });

function decode(raw: unknown): unknown {
  const stored = raw as Partial<{ json: unknown; bytes: string }> | null;
  if (stored && typeof stored.bytes === 'string') return new Uint8Array(Buffer.from(stored.bytes, 'base64'));
  return stored && 'json' in stored ? stored.json : raw;
}

/** Runs `work` on every item, at most PARALLEL at a time; the first failure is thrown once all settled. */
async function inParallel<I>(items: I[], work: (item: I) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item).catch((e: unknown) => failures.push(e));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  if (failures.length) throw failures[0];
}
