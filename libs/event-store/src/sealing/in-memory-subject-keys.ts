import { randomBytes } from 'node:crypto';
import type { ErasureSubject } from './erasure-subject';
import { keyId, keyName, keyNameCovers, markerOf, namespaceMarker, parseKeyId, tenantMarker } from './key-names';
import { erasing, type DataKey, type SubjectKeys } from './subject-keys';

/** The key store in this process's memory, for specs that run the service in one process. */
export class InMemorySubjectKeys implements SubjectKeys {
  private readonly keys = new Map<string, { revision: number; key: Buffer }>();
  private readonly markers = new Set<string>();
  private readonly listeners: ((s: ErasureSubject) => void)[] = [];
  private revision = 0;

  async current(tenant: string, ns: string): Promise<DataKey> {
    if (this.markers.has(tenantMarker(tenant)) || this.markers.has(namespaceMarker(tenant, ns))) throw erasing(tenant, ns);
    const name = keyName(tenant, ns);
    let entry = this.keys.get(name);
    if (!entry) this.keys.set(name, (entry = { revision: ++this.revision, key: randomBytes(32) }));
    return { id: keyId(name, entry.revision), key: entry.key };
  }

  async find(id: string): Promise<Buffer | null> {
    const parsed = parseKeyId(id);
    const entry = parsed && this.keys.get(parsed.name);
    return entry && entry.revision === parsed.revision ? entry.key : null;
  }

  async destroy(subject: ErasureSubject): Promise<string[]> {
    this.markers.add(markerOf(subject));
    const destroyed: string[] = [];
    for (const [name, entry] of this.keys) {
      if (!keyNameCovers(subject, name)) continue;
      entry.key.fill(0);
      this.keys.delete(name);
      destroyed.push(keyId(name, entry.revision));
    }
    for (const listener of this.listeners) listener(subject);
    return destroyed;
  }

  async release(subject: ErasureSubject): Promise<void> {
    this.markers.delete(markerOf(subject));
  }

  onDestroyed(listener: (s: ErasureSubject) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {}
}
