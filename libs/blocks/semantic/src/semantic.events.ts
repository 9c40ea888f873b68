import type { DomainEvent } from '@memsidecar/core';

/** A metadata value: any JSON scalar but null. */
export type MetadataValue = string | number | boolean;

/** One record as stored: the vector is base64 float32, exactly as searched. */
export interface StoredRecord {
  id: string;
  version: number;
  content: string | null;
  vector: string;
  payload: unknown;
  metadata: Record<string, MetadataValue> | null;
  validFrom: string;
  validTo: string | null;
  supersedes: string[];
  createdAt: string;
  updatedAt: string;
}

/** Every event carries the namespace's embedder and dimension, fixed by its first upsert. */
export interface NamespaceSettings {
  embedder: string;
  dimension: number;
}

/** Set by `semantic.revert`: the log sequence whose state of the record the event restores. */
interface Reverted {
  revertedTo?: number;
}

export type RecordsUpserted = DomainEvent<'semantic.records_upserted', NamespaceSettings & { records: StoredRecord[] } & Reverted>;
export type RecordsDeleted = DomainEvent<'semantic.records_deleted', NamespaceSettings & { ids: string[]; existed: boolean[]; hard: boolean; at: string } & Reverted>;
export type RecordsExpired = DomainEvent<'semantic.records_expired', NamespaceSettings & { ids: string[]; action: 'invalidate' | 'soft' | 'hard'; at: string }>;
export type SemanticEvent = RecordsUpserted | RecordsDeleted | RecordsExpired;
