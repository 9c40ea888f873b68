import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { foldRecord } from './record-history';
import type { SemanticEvent, StoredRecord } from './semantic.events';

const settings = { embedder: 'hashing-384', dimension: 3 };
const record = (id: string, version: number, over: Partial<StoredRecord> = {}): StoredRecord => ({
  id,
  version,
  content: `${id} v${version}`,
  vector: 'AAAA',
  payload: null,
  metadata: null,
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo: null,
  supersedes: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});
const stored = (seq: number, type: SemanticEvent['type'], data: object) => ({ seq, type, data: { ...settings, ...data } }) as unknown as StoredEvent<SemanticEvent>;
const upserted = (seq: number, ...records: StoredRecord[]) => stored(seq, 'semantic.records_upserted', { records });
const deleted = (seq: number, ids: string[], existed = ids.map(() => true)) => stored(seq, 'semantic.records_deleted', { ids, existed, hard: false, at: '2026-01-02T00:00:00.000Z' });
const expired = (seq: number, ids: string[], action: 'invalidate' | 'soft' | 'hard', at = '2026-01-03T00:00:00.000Z') => stored(seq, 'semantic.records_expired', { ids, action, at });

describe('foldRecord', () => {
  it('is the record of its last upsert; other records and batches do not touch it', () => {
    const events = [upserted(1, record('a', 1), record('b', 1)), upserted(2, record('b', 2)), upserted(3, record('a', 2))];
    expect(foldRecord(events, 'a')).toEqual({ fromSeq: 3, past: record('a', 2) });
    expect(foldRecord(events.slice(0, 2), 'a')).toEqual({ fromSeq: 1, past: record('a', 1) });
    expect(foldRecord(events, 'missing')).toEqual({ fromSeq: null, past: null });
  });

  it('a delete or a deleting expiry leaves nothing; a delete of an id that was not there changes nothing', () => {
    expect(foldRecord([upserted(1, record('a', 1)), deleted(2, ['a'])], 'a')).toEqual({ fromSeq: 2, past: null });
    expect(foldRecord([upserted(1, record('a', 1)), deleted(2, ['a'], [false])], 'a')).toEqual({ fromSeq: 1, past: record('a', 1) });
    expect(foldRecord([upserted(1, record('a', 1)), expired(2, ['a'], 'soft')], 'a')).toEqual({ fromSeq: 2, past: null });
  });

  it('a supersede or an invalidation closes its validity, never reopening an earlier end', () => {
    const superseding = record('b', 1, { supersedes: ['a'], validFrom: '2026-01-05T00:00:00.000Z' });
    expect(foldRecord([upserted(1, record('a', 1)), upserted(2, superseding)], 'a').past?.validTo).toBe('2026-01-05T00:00:00.000Z');
    const invalidated = foldRecord([upserted(1, record('a', 1)), expired(2, ['a'], 'invalidate'), upserted(3, superseding)], 'a');
    expect(invalidated).toEqual({ fromSeq: 3, past: record('a', 1, { validTo: '2026-01-03T00:00:00.000Z' }) });
  });
});
