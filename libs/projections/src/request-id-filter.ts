import type { Database } from './database';

const BITS = 2 ** 25; // 4 MiB
const HASHES = 6;
/** Past this many ids the false-positive rate climbs (about 1 in 100): the filter is built again from the ledger. */
const CAPACITY = 3_000_000;
const SCAN_PAGE = 20_000;
const RETRY_LOAD_MS = 10_000;

/** A Bloom filter over strings: `mayContain` is false only for a string never added. */
export class BloomFilter {
  private readonly words = new Uint32Array(BITS / 32);
  count = 0;

  add(key: string): void {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) >>> 0 & (BITS - 1);
      this.words[bit >>> 5] |= 1 << (bit & 31);
    }
    this.count++;
  }

  mayContain(key: string): boolean {
    const [h1, h2] = hashes(key);
    for (let i = 0; i < HASHES; i++) {
      const bit = (h1 + i * h2) >>> 0 & (BITS - 1);
      if ((this.words[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two 32-bit FNV-1a hashes with different offsets (double hashing derives the rest). */
function hashes(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [a >>> 0, (b | 1) >>> 0];
}

const entry = (tenant: string, requestId: string): string => `${tenant}\u0000${requestId}`;

/**
 * The request ids the ledger holds or the log has delivered since, as a Bloom filter: a request id
 * it has never seen needs no ledger look-up before its first append. Trusted only while the ledger's
 * read model has received the log up to its end (the caller says so): then an id it has not seen
 * was never appended, or so recently that JetStream's duplicate window still answers a retry.
 * Until it is loaded (a scan of `mem_requests`), or once full, every id is "maybe seen".
 */
export class RequestIdFilter {
  private filter: BloomFilter | null = null;
  /** A load under way: ids delivered meanwhile go to it as well. */
  private next: BloomFilter | null = null;
  private lastLoadFailedAt = 0;

  constructor(private readonly db: Database) {}

  /** An id the log delivered (or this instance appended). */
  note(tenant: string, requestId: string): void {
    const key = entry(tenant, requestId);
    this.filter?.add(key);
    this.next?.add(key);
    if (this.filter && this.filter.count > CAPACITY) this.startLoad();
  }

  /** True only when the id was certainly never used (`complete`: the log was received up to its end). */
  neverUsed(tenant: string, requestId: string, complete: boolean): boolean {
    if (!this.filter) this.startLoad();
    if (!complete || !this.filter || this.filter.count > CAPACITY) return false;
    return !this.filter.mayContain(entry(tenant, requestId));
  }

  /** Builds a fresh filter from the ledger (ids the log delivers meanwhile are added too), then uses it. */
  startLoad(): void {
    if (this.next || Date.now() - this.lastLoadFailedAt < RETRY_LOAD_MS) return;
    const next = (this.next = new BloomFilter());
    void this.scan(next).then(
      () => {
        this.filter = next;
        this.next = null;
      },
      () => {
        this.next = null;
        this.lastLoadFailedAt = Date.now();
      },
    );
  }

  /** Every id of `mem_requests`, a page at a time in primary-key order. */
  private async scan(into: BloomFilter): Promise<void> {
    let after: [string, string] = ['', ''];
    for (;;) {
      const rows = await this.db.prepared<{ tenant: string; request_id: string }>(
        `SELECT tenant, request_id FROM mem_requests WHERE (tenant, request_id) > ($1, $2) ORDER BY tenant, request_id LIMIT ${SCAN_PAGE}`,
        after,
      );
      for (const r of rows) into.add(entry(r.tenant, r.request_id));
      if (rows.length < SCAN_PAGE) return;
      const last = rows[rows.length - 1];
      after = [last.tenant, last.request_id];
    }
  }
}
