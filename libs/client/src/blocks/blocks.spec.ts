import { describe, expect, it } from 'vitest';
import { MemoryError } from '../errors';
import { rechunk } from './artifact-transfer';
import type { Stream } from './method';
import { streamItems } from './stream-items';

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

async function* pieces(sizes: number[]): AsyncGenerator<Uint8Array> {
  let next = 0;
  for (const size of sizes) yield Uint8Array.from({ length: size }, () => next++ % 256);
}

/** A stream that hands over `items` one per tick, like replies arriving, and notes when it ended. */
const tickingStream = (items: unknown[], failWith?: Error) => {
  const state = { delivered: 0, ended: false, endedWith: undefined as unknown };
  const stream: Stream = async (_op, _body, onItem) => {
    try {
      for (const item of items) {
        await new Promise((r) => setImmediate(r));
        onItem(item);
        state.delivered++;
      }
      if (failWith) throw failWith;
    } catch (e) {
      state.endedWith = e;
      throw e;
    } finally {
      state.ended = true;
    }
  };
  return { stream, state };
};

describe('blocks - upload chunks', () => {
  it('cuts a buffer into pieces of exactly the chunk size, the last one shorter', async () => {
    const bytes = Uint8Array.from({ length: 25 }, (_, i) => i);
    const chunks = await collect(rechunk(bytes, 10));
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
  });

  it('re-cuts a stream of pieces of any size, keeping every byte in order', async () => {
    const sizes = [3, 17, 1, 10, 0, 29];
    const chunks = await collect(rechunk(pieces(sizes), 10));
    expect(chunks.map((c) => c.length)).toEqual([10, 10, 10, 10, 10, 10]);
    expect([...Buffer.concat(chunks)]).toEqual(Array.from({ length: 60 }, (_, i) => i % 256));
    expect((await collect(rechunk(pieces([7]), 10))).map((c) => c.length)).toEqual([7]);
    expect(await collect(rechunk(pieces([]), 10))).toEqual([]);
  });
});

describe('blocks - streams as async iterables', () => {
  it('yields every item in order and ends with the stream', async () => {
    const { stream } = tickingStream([1, 2, 3]);
    expect(await collect(streamItems(stream, 'episodic.tail', {}))).toEqual([1, 2, 3]);
  });

  it('sends nothing until iteration starts', async () => {
    const { stream, state } = tickingStream([1]);
    const items = streamItems(stream, 'episodic.tail', {});
    await new Promise((r) => setTimeout(r, 5));
    expect(state.ended).toBe(false);
    expect(await collect(items)).toEqual([1]);
  });

  it('throws the stream failure after the items that came before it', async () => {
    const failure = new MemoryError('NOT_FOUND', 'artifact x not found');
    const { stream } = tickingStream(['a'], failure);
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const item of streamItems(stream, 'artifact.read', {})) seen.push(item);
      })(),
    ).rejects.toBe(failure);
    expect(seen).toEqual(['a']);
  });

  it('ends the subscription at the next item once the reader leaves the loop', async () => {
    const { stream, state } = tickingStream([1, 2, 3, 4, 5]);
    for await (const item of streamItems(stream, 'episodic.tail', {})) if (item === 2) break;
    await new Promise((r) => setTimeout(r, 20));
    expect(state.ended).toBe(true);
    expect(state.delivered).toBeLessThan(5);
  });
});
