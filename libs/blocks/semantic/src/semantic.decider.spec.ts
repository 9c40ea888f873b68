import { describe, expect, it } from 'vitest';
import type { CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { semanticDecider, type RecordInput } from './semantic.decider';
import type { SemanticEvent, StoredRecord } from './semantic.events';
import { encodeVector } from './vector-codec';

const spec = deciderSpec(semanticDecider, expect);
const meta: CommandMeta = { now: new Date('2026-01-01T00:00:00.000Z'), tenant: 't', agent: 'a' };
const now = meta.now.toISOString();
const rec = (id: string, over: Partial<RecordInput> = {}): RecordInput => ({ id, content: id, vector: [1, 0, 0], vectorB64: encodeVector([1, 0, 0]), ...over });
const stored = (id: string, version: number, over: Partial<StoredRecord> = {}): StoredRecord => ({
  id, version, content: id, vector: encodeVector([1, 0, 0]), payload: null, metadata: null, validFrom: now, validTo: null, supersedes: [], createdAt: now, updatedAt: now, ...over,
});
const upserted = (records: StoredRecord[], embedder = 'hashing-3'): SemanticEvent => ({ type: 'semantic.records_upserted', v: 1, data: { embedder, dimension: 3, records } });

describe('semantic decider - upsert', () => {
  it('the first upsert fixes the namespace embedder and dimension; versions start at 1', () => {
    spec.given([]).when({ type: 'UpsertRecords', embedder: 'hashing-3', records: [rec('a'), rec('b')], current: {} }, meta).then(upserted([stored('a', 1), stored('b', 1)]));
  });

  it('re-upserting counts the version up and keeps createdAt', () => {
    spec
      .given([upserted([stored('a', 1)])])
      .when({ type: 'UpsertRecords', embedder: 'hashing-3', records: [rec('a')], current: { a: { version: 1, createdAt: '2025-01-01T00:00:00.000Z' } } }, meta)
      .then(upserted([stored('a', 2, { createdAt: '2025-01-01T00:00:00.000Z' })]));
  });

  it('one failed ifVersion rejects the whole batch', () => {
    spec
      .given([upserted([stored('a', 1)])])
      .when({ type: 'UpsertRecords', embedder: 'hashing-3', records: [rec('new', { ifVersion: 0 }), rec('a', { ifVersion: 5 })], current: { a: { version: 1, createdAt: now } } }, meta)
      .thenFails('FAILED_PRECONDITION', 'VERSION_MISMATCH');
  });

  it('a vector of another dimension or another embedder is INVALID_ARGUMENT', () => {
    spec.given([upserted([stored('a', 1)])]).when({ type: 'UpsertRecords', embedder: null, records: [rec('b', { vector: [1, 0], vectorB64: encodeVector([1, 0]) })], current: {} }, meta).thenFails('INVALID_ARGUMENT');
    spec.given([upserted([stored('a', 1)])]).when({ type: 'UpsertRecords', embedder: 'use-lite', records: [rec('b')], current: {} }, meta).thenFails('INVALID_ARGUMENT');
  });

  it('caller-given vectors fix the namespace as external; supersedes never names itself', () => {
    spec
      .given([])
      .when({ type: 'UpsertRecords', embedder: null, records: [rec('a', { supersedes: ['a', 'old'] })], current: {} }, meta)
      .then(upserted([stored('a', 1, { supersedes: ['old'] })], 'external'));
  });
});

describe('semantic decider - delete and expire', () => {
  it('deletes only when something is there, recording what existed', () => {
    spec.given([upserted([stored('a', 1)])]).when({ type: 'DeleteRecords', ids: ['a', 'x'], hard: false, existed: [true, false] }, meta).then({
      type: 'semantic.records_deleted', v: 1, data: { embedder: 'hashing-3', dimension: 3, ids: ['a', 'x'], existed: [true, false], hard: false, at: now },
    });
    spec.given([upserted([stored('a', 1)])]).when({ type: 'DeleteRecords', ids: ['x'], hard: true, existed: [false] }, meta).then(null);
  });

  it('expires exactly the records the look-up found', () => {
    spec.given([upserted([stored('a', 1)])]).when({ type: 'ExpireRecords', action: 'invalidate', filter: {}, maxRows: 5, ids: ['a'] }, meta).then({
      type: 'semantic.records_expired', v: 1, data: { embedder: 'hashing-3', dimension: 3, ids: ['a'], action: 'invalidate', at: now },
    });
    spec.given([]).when({ type: 'ExpireRecords', action: 'hard', filter: {}, maxRows: 5, ids: [] }, meta).then(null);
  });
});
