import { randomBytes } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry, type KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { LruMap, MemError } from '@memsidecar/core';
import type { ErasureSubject } from './erasure-subject';
import type { MasterKey } from './master-key';
import { keyId, keyName, keyNameCovers, markerOf, namespaceMarker, parseKeyId, subjectOfMarker, tenantMarker, tenantPrefix } from './key-names';
import { erasing, type DataKey, type SubjectKeys } from './subject-keys';

const CACHED_KEYS = 100_000;
const CREATE_ATTEMPTS = 5;
/** Pause before a watch that ended is started again. */
const REWATCH_MS = 1_000;

export interface NatsSubjectKeysOptions {
  /** KV bucket of the keys (`<stream>_KEYS`). */
  bucket: string;
  replicas: number;
  /** Wraps the data keys the bucket stores; without it they are stored as they are. */
  masterKey?: MasterKey;
}

/**
 * Data keys in a NATS KV bucket beside the log: shared by every instance, cached in each. A key is
 * destroyed by deleting its message with JetStream's secure erase (the bytes are overwritten on
 * disk), after a marker that stops any instance from creating a new one for the subject; every
 * instance watches the markers and drops what it cached of the subject.
 */
export class NatsSubjectKeys implements SubjectKeys {
  private readonly currentByName = new LruMap<string, DataKey>(CACHED_KEYS);
  private readonly byId = new LruMap<string, Buffer | null>(CACHED_KEYS);
  private readonly creating = new Map<string, Promise<DataKey>>();
  private readonly listeners: ((s: ErasureSubject) => void)[] = [];
  private watching: (AsyncIterable<KvWatchEntry> & { stop(): void }) | null = null;
  private closed = false;

  private constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly masterKey: MasterKey | undefined,
  ) {}

  static async open(nc: NatsConnection, o: NatsSubjectKeysOptions): Promise<NatsSubjectKeys> {
    const kv = await new Kvm(nc).create(o.bucket, { history: 1, replicas: o.replicas, description: 'memsidecar data keys, one per tenant and namespace' });
    const keys = new NatsSubjectKeys(kv, await jetstreamManager(nc), `KV_${o.bucket}`, o.masterKey);
    await keys.watchMarkers();
    return keys;
  }

  current(tenant: string, ns: string): Promise<DataKey> {
    const name = keyName(tenant, ns);
    const cached = this.currentByName.get(name);
    if (cached) return Promise.resolve(cached);
    let pending = this.creating.get(name);
    if (!pending) {
      pending = this.loadOrCreate(tenant, ns, name).finally(() => this.creating.delete(name));
      this.creating.set(name, pending);
    }
    return pending;
  }

  async find(id: string): Promise<Buffer | null> {
    const cached = this.byId.get(id);
    if (cached !== undefined) return cached;
    const parsed = parseKeyId(id);
    const entry = parsed && (await this.get(parsed.name));
    const key = entry && entry.revision === parsed.revision ? this.keyIn(entry) : null;
    this.byId.set(id, key);
    return key;
  }

  async destroy(subject: ErasureSubject): Promise<string[]> {
    await this.call(() => this.kv.put(markerOf(subject), JSON.stringify({ erasing: true })));
    this.forget(subject);
    const destroyed: string[] = [];
    // Twice: a key another instance created just before it saw the marker is found the second time.
    for (let pass = 0; pass < 2; pass++) {
      for (const name of await this.names(subject)) {
        const entry = await this.get(name);
        if (!entry || !holdsKey(entry)) continue;
        await this.call(() => this.jsm.streams.deleteMessage(this.stream, entry.revision, true));
        destroyed.push(keyId(name, entry.revision));
      }
    }
    this.forget(subject);
    return destroyed;
  }

  async release(subject: ErasureSubject): Promise<void> {
    await this.call(() => this.kv.purge(markerOf(subject)));
  }

  onDestroyed(listener: (s: ErasureSubject) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watching?.stop();
  }

  private async loadOrCreate(tenant: string, ns: string, name: string): Promise<DataKey> {
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      if ((await this.isMarked(tenantMarker(tenant))) || (await this.isMarked(namespaceMarker(tenant, ns)))) throw erasing(tenant, ns);
      const entry = await this.get(name);
      const existing = entry && this.keyIn(entry);
      if (entry && existing) return this.remember(name, entry.revision, existing);
      const key = randomBytes(32);
      const stored = this.masterKey ? { wrapped: this.masterKey.wrap(key, name) } : { key: key.toString('base64') };
      try {
        const revision = await this.kv.create(name, JSON.stringify(stored));
        return this.remember(name, revision, key);
      } catch {
        // Another instance created it first (or the store is away): read it again.
      }
    }
    throw new MemError('UNAVAILABLE', `key store unavailable: no data key for ${tenant}/${ns}`);
  }

  private remember(name: string, revision: number, key: Buffer): DataKey {
    const dataKey = { id: keyId(name, revision), key };
    this.currentByName.set(name, dataKey);
    this.byId.set(dataKey.id, key);
    return dataKey;
  }

  private async isMarked(marker: string): Promise<boolean> {
    const entry = await this.get(marker);
    return entry !== null && entry.operation === 'PUT';
  }

  private async names(subject: ErasureSubject): Promise<string[]> {
    const filter = subject.ns === undefined ? `${tenantPrefix(subject.tenant)}.>` : keyName(subject.tenant, subject.ns);
    const names: string[] = [];
    const iterator = await this.call(() => this.kv.keys(filter));
    for await (const name of iterator) if (keyNameCovers(subject, name)) names.push(name);
    return names;
  }

  /** Drops what this instance cached of the subject and tells the listeners. */
  private forget(subject: ErasureSubject): void {
    for (const name of [...this.currentByName.keys()]) if (keyNameCovers(subject, name)) this.currentByName.delete(name);
    for (const id of [...this.byId.keys()]) if (keyNameCovers(subject, parseKeyId(id)?.name ?? '')) this.byId.delete(id);
    for (const listener of this.listeners) listener(subject);
  }

  /**
   * Follows the markers for as long as the store is open. A watch that ends by itself (its consumer
   * lost) is started again, and the keys cached meanwhile are dropped: a marker put while nobody
   * watched must not leave a destroyed key in use here.
   */
  private async watchMarkers(): Promise<void> {
    this.watching = await this.kv.watch({ key: '>', include: 'updates' });
    void (async () => {
      while (!this.closed) {
        try {
          for await (const e of this.watching!) {
            const subject = e.operation === 'PUT' ? subjectOfMarker(e.key) : null;
            if (subject) this.forget(subject);
          }
        } catch {
          // Started again below, like a watch that ended.
        }
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, REWATCH_MS));
        try {
          this.watching = await this.kv.watch({ key: '>', include: 'updates' });
          this.currentByName.clear();
          this.byId.clear();
        } catch {
          // The store is away: tried again after the pause.
        }
      }
    })();
  }

  /** The data key an entry holds, unwrapped; null for a marker. */
  private keyIn(entry: KvEntry): Buffer | null {
    const value = entry.json<StoredKey>();
    if (typeof value.key === 'string') return Buffer.from(value.key, 'base64');
    if (typeof value.wrapped !== 'string') return null;
    if (!this.masterKey) throw new MemError('UNAVAILABLE', `data key ${entry.key} is wrapped by a master key, and none is configured (encryption.masterKeyFile)`);
    return this.masterKey.unwrap(value.wrapped, entry.key);
  }

  private async get(name: string): Promise<KvEntry | null> {
    const entry = await this.call(() => this.kv.get(name));
    return entry && entry.operation === 'PUT' ? entry : null;
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      throw new MemError('UNAVAILABLE', `key store unavailable: ${(e as Error).message}`);
    }
  }
}

/** A data key as stored: as it is, or wrapped by the master key. Markers hold neither. */
interface StoredKey {
  key?: string;
  wrapped?: string;
}

const holdsKey = (entry: KvEntry): boolean => {
  const value = entry.json<StoredKey>();
  return typeof value.key === 'string' || typeof value.wrapped === 'string';
};
