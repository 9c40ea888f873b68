import { MemoryError, type KvEntry, type MemoryClient } from '@memsidecar/client';

/** The service's largest kv page (CONTRACT §3). */
const MAX_PAGE = 1000;

export interface ListPages {
  reverse?: boolean;
  startAfter?: string;
  includeValues?: boolean;
  pageSize?: number;
}

/**
 * The saver's view of its kv namespace: reads wait for the saver's own last write (`minSeq`), so a
 * checkpoint just put is read back through any instance of the service; pages and bulk deletes are
 * bounded; a value over the service's size limit is refused with an error that says what it was.
 */
export class CheckpointKv {
  private lastSeq = 0;

  constructor(
    private readonly client: MemoryClient,
    readonly ns: string,
    private readonly concurrency: number,
  ) {}

  /** What a read passes to observe every write of this saver. */
  get consistency(): { minSeq?: number } {
    return this.lastSeq > 0 ? { minSeq: this.lastSeq } : {};
  }

  /** Records the stream sequence of a write of this saver (kv or not). */
  saw(seq: number | undefined): void {
    if (seq !== undefined && seq > this.lastSeq) this.lastSeq = seq;
  }

  async get(key: string): Promise<unknown> {
    const got = await this.client.kv.get({ ns: this.ns, key, ...this.consistency });
    return got.found ? got.value : undefined;
  }

  /** Values of the keys that exist. */
  async mget(keys: string[]): Promise<Map<string, unknown>> {
    const found = new Map<string, unknown>();
    const unique = [...new Set(keys)];
    await Promise.all(
      chunks(unique, MAX_PAGE).map(async (part) => {
        for (const item of (await this.client.kv.mget({ ns: this.ns, keys: part, ...this.consistency })).items) found.set(item.key, item.value);
      }),
    );
    return found;
  }

  /** Every key under `prefix`, a page at a time, in key order (descending with `reverse`). */
  async *pages(prefix: string, o: ListPages = {}): AsyncGenerator<KvEntry[]> {
    let startAfter = o.startAfter;
    const limit = Math.min(MAX_PAGE, Math.max(1, o.pageSize ?? MAX_PAGE));
    do {
      const page = await this.client.kv.list({
        ns: this.ns,
        prefix,
        limit,
        ...(o.reverse ? { reverse: true } : {}),
        ...(o.includeValues ? { includeValues: true } : {}),
        ...(startAfter !== undefined ? { startAfter } : {}),
        ...this.consistency,
      });
      if (page.items.length > 0) yield page.items;
      startAfter = page.nextStartAfter ?? undefined;
    } while (startAfter !== undefined);
  }

  async keys(prefix: string): Promise<string[]> {
    return (await this.entries(prefix)).map((e) => e.key);
  }

  /** Every key under `prefix` with its kv metadata, without values. */
  async entries(prefix: string): Promise<KvEntry[]> {
    const all: KvEntry[] = [];
    for await (const page of this.pages(prefix)) all.push(...page);
    return all;
  }

  /**
   * Stores `value` at `key`; with `createOnly`, a key that exists is left as it is and `false` is
   * returned. `what` names the value in the error when it is over the service's size limit.
   */
  async put(key: string, value: unknown, what: string, o: { createOnly?: boolean; metadata?: Record<string, string> } = {}): Promise<boolean> {
    try {
      const put = await this.client.kv.put({ ns: this.ns, key, value, ...(o.createOnly ? { ifVersion: 0 } : {}), ...(o.metadata ? { metadata: o.metadata } : {}) });
      this.saw(put.seq);
      return true;
    } catch (e) {
      if (e instanceof MemoryError && e.reason === 'VERSION_MISMATCH' && o.createOnly) return false;
      if (e instanceof MemoryError && e.code === 'INVALID_ARGUMENT' && e.details?.field === 'value')
        throw new Error(
          `MemsidecarSaver: ${what} is too large for one kv value (${e.message}). The service's limit is the setting limits.maxValueBytes ` +
            `(256 KiB by default); values are stored base64, so about 3/4 of it is left for the serialized value. Raise it, or lower the saver's ` +
            `largeValueBytes so that large values go to artifacts.`,
          { cause: e },
        );
      throw e;
    }
  }

  /** Deletes `keys`, a bounded number at a time; resolves with how many existed. */
  async deleteAll(keys: string[]): Promise<number> {
    let existed = 0;
    await this.inParallel(keys, async (key) => {
      const deleted = await this.client.kv.delete({ ns: this.ns, key });
      this.saw(deleted.seq);
      if (deleted.existed) existed++;
    });
    return existed;
  }

  /** Runs `task` over `items`, at most `concurrency` at a time. */
  async inParallel<T>(items: T[], task: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await task(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
