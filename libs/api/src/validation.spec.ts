import { describe, expect, it } from 'vitest';
import { isMemError } from '@memsidecar/core';
import { MAX_DEPTH, assertDepth, parseBody } from './validation';

const problem = (run: () => unknown): { field?: unknown; message: string } | null => {
  try {
    run();
    return null;
  } catch (e) {
    if (!isMemError(e)) throw e;
    return { field: e.details?.field, message: e.message };
  }
};

const nested = (levels: number): unknown => (levels === 0 ? 'leaf' : { next: nested(levels - 1) });

describe('request bodies: nesting and NUL characters', () => {
  it('takes a body nested up to the limit', () => {
    expect(problem(() => assertDepth(nested(MAX_DEPTH - 1), MAX_DEPTH))).toBeNull();
    expect(parseBody(JSON.stringify({ a: [1, { b: 'c' }], d: null }))).toEqual({ a: [1, { b: 'c' }], d: null });
  });

  it('refuses one level deeper, naming the body', () => {
    expect(problem(() => assertDepth(nested(MAX_DEPTH + 1), MAX_DEPTH))).toMatchObject({ field: 'body', message: expect.stringContaining(`deeper than ${MAX_DEPTH}`) });
  });

  it('refuses a NUL in a nested value or key, naming where it is', () => {
    expect(problem(() => assertDepth({ value: { list: ['ok', 'a\u0000b'] } }, MAX_DEPTH))).toMatchObject({ field: 'value.list[1]' });
    expect(problem(() => parseBody('{"metadata":{"k\\u0000":"v"}}'))).toMatchObject({ field: 'metadata' });
    expect(problem(() => assertDepth({ key: 'a\u0000b' }, MAX_DEPTH))).toMatchObject({ field: 'key' });
  });
});
