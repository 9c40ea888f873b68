import { IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { validateInput } from '@memsidecar/api';
import { EpisodicRangeInput } from '@memsidecar/episodic';
import { FactsExportInput } from '@memsidecar/facts';
import { GraphTraverseInput, GraphUpsertInput } from '@memsidecar/graph';
import { KvMgetInput, KvPutInput } from '@memsidecar/kv';
import { SemanticSearchInput, SemanticUpsertInput } from '@memsidecar/semantic';
import { UndescribableInputError, inputJsonSchema } from './input-schema';

type Dto = new () => object;

const dtoAccepts = (input: Dto, body: Record<string, unknown>): boolean => {
  try {
    validateInput(input, body);
    return true;
  } catch {
    return false;
  }
};
const schemaAccepts = (input: Dto, body: Record<string, unknown>): boolean => 
  z.fromJSONSchema(inputJsonSchema(input) as z.core.JSONSchema.JSONSchema).safeParse(body).success;

/** Bodies the DTO accepts and bodies it refuses; the derived schema must agree on each. */
const CASES: [string, Dto, Record<string, unknown>][] = [
  ['a plain put', KvPutInput, { ns: 'n', key: 'k', value: { any: ['json'] } }],
  ['a put of null', KvPutInput, { ns: 'n', key: 'k', value: null }],
  ['a put without a value', KvPutInput, { ns: 'n', key: 'k' }],
  ['a namespace with a space', KvPutInput, { ns: 'bad ns', key: 'k', value: 1 }],
  ['an empty key', KvPutInput, { ns: 'n', key: '', value: 1 }],
  ['a ttl of 0', KvPutInput, { ns: 'n', key: 'k', value: 1, ttlMs: 0 }],
  ['a fractional ttl', KvPutInput, { ns: 'n', key: 'k', value: 1, ttlMs: 1.5 }],
  ['a ttl as a string', KvPutInput, { ns: 'n', key: 'k', value: 1, ttlMs: '5' }],
  ['string metadata', KvPutInput, { ns: 'n', key: 'k', value: 1, metadata: { a: 'b' } }],
  ['numeric metadata', KvPutInput, { ns: 'n', key: 'k', value: 1, metadata: { a: 1 } }],
  ['an unknown field', KvPutInput, { ns: 'n', key: 'k', value: 1, colour: 'red' }],
  ['keys', KvMgetInput, { ns: 'n', keys: ['a', 'b'] }],
  ['no keys', KvMgetInput, { ns: 'n', keys: [] }],
  ['a key that is not a string', KvMgetInput, { ns: 'n', keys: ['a', 7] }],
  ['a cursor range', EpisodicRangeInput, { ns: 'n', afterCursor: 0, limit: 1000 }],
  ['a limit over the range', EpisodicRangeInput, { ns: 'n', limit: 1001 }],
  ['a negative cursor', EpisodicRangeInput, { ns: 'n', afterCursor: -1 }],
  ['a status of the enum', FactsExportInput, { status: 'cold' }],
  ['a status outside the enum', FactsExportInput, { status: 'warm' }],
  ['a hybrid search with fusion', SemanticSearchInput, { ns: 'n', queryText: 'q', mode: 'hybrid', fusion: { method: 'linear', weights: { dense: 1, sparse: 2 } } }],
  ['a mode outside the enum', SemanticSearchInput, { ns: 'n', queryText: 'q', mode: 'fuzzy' }],
  ['a fusion method outside the enum', SemanticSearchInput, { ns: 'n', fusion: { method: 'max' } }],
  ['a fusion weight over the range', SemanticSearchInput, { ns: 'n', fusion: { method: 'linear', weights: { dense: 1001, sparse: 1 } } }],
  ['a fusion weight missing', SemanticSearchInput, { ns: 'n', fusion: { method: 'linear', weights: { dense: 1 } } }],
  ['an unknown field of a nested object', SemanticSearchInput, { ns: 'n', fusion: { method: 'rrf', extra: true } }],
  ['predicates', SemanticSearchInput, { ns: 'n', predicates: [{ field: 'f', op: 'gte', value: 3 }] }],
  ['a predicate with an unknown op', SemanticSearchInput, { ns: 'n', predicates: [{ field: 'f', op: 'like', value: 3 }] }],
  ['a predicate without a value', SemanticSearchInput, { ns: 'n', predicates: [{ field: 'f', op: 'eq' }] }],
  ['a scalar filter', SemanticSearchInput, { ns: 'n', filter: { a: 'x', b: 2, c: true } }],
  ['a filter with an object value', SemanticSearchInput, { ns: 'n', filter: { a: { b: 1 } } }],
  ['nodes and edges', GraphUpsertInput, { ns: 'n', nodes: [{ id: 'a', labels: ['person'], props: { name: 'Ada' } }], edges: [{ type: 'knows', from: 'a', to: 'a', validFrom: '2026-01-01T00:00:00Z' }] }],
  ['an edge without a type', GraphUpsertInput, { ns: 'n', edges: [{ from: 'a', to: 'b' }] }],
  ['node props that are a list', GraphUpsertInput, { ns: 'n', nodes: [{ id: 'a', props: [1] }] }],
  ['an edge with supersedes as a list', GraphUpsertInput, { ns: 'n', edges: [{ type: 't', from: 'a', to: 'b', supersedes: ['x'] }] }],
  ['a traversal both ways', GraphTraverseInput, { ns: 'n', startId: 'a', direction: 'both', depth: 3, edgeTypes: ['knows'] }],
  ['a traversal of depth 0', GraphTraverseInput, { ns: 'n', startId: 'a', depth: 0 }],
  ['records', SemanticUpsertInput, { ns: 'n', records: [{ id: 'r1', content: 'text', metadata: { k: 'v' } }] }],
  ['no records', SemanticUpsertInput, { ns: 'n', records: [] }],
  ['a record with a bad id', SemanticUpsertInput, { ns: 'n', records: [{ id: 'not an id', content: 'x' }] }],
  ['a record with an unknown field', SemanticUpsertInput, { ns: 'n', records: [{ content: 'x', colour: 'red' }] }],
  ['a record with a text vector', SemanticUpsertInput, { ns: 'n', records: [{ content: 'x', vector: ['a'] }] }],
  ['101 records', SemanticUpsertInput, { ns: 'n', records: Array.from({ length: 101 }, () => ({ content: 'x' })) }],
];

describe('mcp - input schemas derived from the operations’ DTOs', () => {
  it('covers bodies the DTOs accept and bodies they refuse', () => {
    const verdicts = CASES.map(([, input, body]) => dtoAccepts(input, body));
    expect(verdicts).toContain(true);
    expect(verdicts).toContain(false);
  });

  it.each(CASES)('agrees with the DTO on %s', (_, input, body) => {
    expect(schemaAccepts(input, body)).toBe(dtoAccepts(input, body));
  });

  it('requires what the DTO requires, and only that', () => {
    expect(inputJsonSchema(KvPutInput).required.sort()).toEqual(['key', 'ns', 'value']);
    expect(inputJsonSchema(SemanticSearchInput).required).toEqual(['ns']);
    expect(inputJsonSchema(FactsExportInput).required).toEqual([]);
  });

  it('lists every field the DTO accepts, inherited ones included', () => {
    expect(Object.keys(inputJsonSchema(KvMgetInput).properties).sort()).toEqual(['keys', 'minSeq', 'ns']);
  });

  it('refuses to describe a validator it does not know, rather than leave it out', () => {
    class Unknown {
      @IsOptional()
      @IsInt()
      limit?: number;

      @IsString({ message: 'x' })
      @ValidateNested()
      nested: object;
    }
    expect(() => inputJsonSchema(Unknown)).toThrow(UndescribableInputError);
    expect(() => inputJsonSchema(Unknown)).toThrow(/Unknown\.nested/);
  });
});
