import { describe, expect, it } from 'vitest';
import { OPERATION_CATALOGUE } from '@memsidecar/core';
import { createBlockClients, type BlockClients } from './index';
import type { Call, Stream } from './method';

type Fn = (...args: unknown[]) => unknown;

/** Block clients whose calls and streams only note the operation they were asked for. */
function recording() {
  const sent: string[] = [];
  const call: Call = async (op) => (sent.push(op), { uploadId: 'upload', size: 1 });
  const stream: Stream = async (op) => void sent.push(op);
  return { blocks: createBlockClients(call, stream), sent };
}

/** Runs what a block client's function does with a minimal input: awaits it, or reads it to the end. */
async function run(fn: Fn, args: unknown[]): Promise<void> {
  const result = fn(...args);
  if (result && typeof result === 'object' && Symbol.asyncIterator in result) for await (const _ of result as AsyncIterable<unknown>);
  else await result;
}

/** Every function of the block clients, by path (`artifact.upload.begin`), composites included. */
function functions(value: unknown, path: string[] = []): [string, Fn][] {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return [];
  const own = typeof value === 'function' ? [[path.join('.'), value as Fn] as [string, Fn]] : [];
  return [...own, ...Object.entries(value).flatMap(([k, v]) => functions(v, [...path, k]))];
}

const argsFor = (path: string): unknown[] => (path === 'artifact.upload' ? ['ns', new Uint8Array([1])] : [{ ns: 'ns', id: 'id', key: 'k' }]);

describe('client - the block clients and the operation catalogue', () => {
  it.each(Object.keys(OPERATION_CATALOGUE))('%s has a method of the same path that sends it', async (op) => {
    const { blocks, sent } = recording();
    const fn = op.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], blocks as unknown as BlockClients);
    expect(typeof fn, `client.${op}`).toBe('function');
    await run(fn as Fn, argsFor(op));
    expect(sent).toEqual([op]);
  });

  it('sends nothing but catalogued operations, from any method', async () => {
    const all = functions(recording().blocks);
    expect(all.length).toBeGreaterThan(Object.keys(OPERATION_CATALOGUE).length);
    for (const [path] of all) {
      const { blocks, sent } = recording();
      const fn = functions(blocks).find(([p]) => p === path)![1];
      await run(fn, argsFor(path));
      expect(sent.length, path).toBeGreaterThan(0);
      for (const op of sent) expect(Object.keys(OPERATION_CATALOGUE), `${path} sends ${op}`).toContain(op);
    }
  });
});
