import { randomBytes } from 'node:crypto';
import type { Item } from '@langchain/langgraph-checkpoint';
import type { KvEntry } from '@memsidecar/client';
import { decodeItemKey } from './store-keys';

/** What the store keeps under an item's kv key. */
export interface StoredItem {
  value: Record<string, unknown>;
  /** Names this write of the item; its index records carry the same stamp. */
  stamp: string;
  /** How many index records this write has (0: not indexed). */
  records: number;
  /** The item's time to live in minutes, renewed on read; absent: it lives until deleted. */
  ttl?: number;
  /** Set when a read renewed the TTL (a kv write): the item's own last update, which that write must not move. */
  updatedAt?: string;
}

export const newStamp = (): string => randomBytes(8).toString('hex');

export function isStoredItem(v: unknown): v is StoredItem {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<StoredItem>;
  return typeof s.value === 'object' && s.value !== null && !Array.isArray(s.value) && typeof s.stamp === 'string' && typeof s.records === 'number';
}

/** One stored item as read from kv, with what renewing its TTL needs. */
export interface LoadedItem {
  kvKey: string;
  version: number;
  stored: StoredItem;
  item: Item;
}

/** An entry of this store's kv namespace as an item; null for a key or value it did not write. */
export function loadEntry(entry: KvEntry): LoadedItem | null {
  const decoded = decodeItemKey(entry.key);
  if (!decoded || !isStoredItem(entry.value)) return null;
  const stored = entry.value;
  return {
    kvKey: entry.key,
    version: entry.version,
    stored,
    item: {
      namespace: decoded.namespace,
      key: decoded.key,
      value: stored.value,
      createdAt: new Date(entry.createdAt),
      updatedAt: new Date(stored.updatedAt ?? entry.updatedAt),
    },
  };
}
