import { createHash } from 'node:crypto';
import { LruMap, MemError } from '@memsidecar/core';

/** Turns texts into vectors; one instance per kind of model. */
export interface Embedder {
  /** Recorded with every namespace that uses it, e.g. `use-lite`, `hashing-384`, `openai:text-embedding-3-small`. */
  readonly id: string;
  readonly dimension: number;
  embed(texts: string[]): Promise<number[][]>;
}

/** Remembers embeddings of the same content, so re-upserts and repeated queries skip the model. */
export class CachedEmbedder implements Embedder {
  private readonly cache: LruMap<string, number[]>;

  constructor(
    private readonly inner: Embedder,
    capacity: number,
  ) {
    this.cache = new LruMap(Math.max(1, capacity));
  }

  get id(): string {
    return this.inner.id;
  }

  get dimension(): number {
    return this.inner.dimension;
  }

  /** Forgets every embedding: they are derived from content that may just have been erased. */
  clear(): void {
    this.cache.clear();
  }

  async embed(texts: string[]): Promise<number[][]> {
    const keys = texts.map((t) => createHash('sha256').update(t).digest('base64'));
    const missing = [...new Set(keys.filter((k) => !this.cache.get(k)))];
    if (missing.length > 0) {
      const byKey = new Map(keys.map((k, i) => [k, texts[i]]));
      const vectors = await this.inner.embed(missing.map((k) => byKey.get(k)!));
      vectors.forEach((v, i) => this.cache.set(missing[i], v));
    }
    return keys.map((k) => this.cache.get(k)!);
  }
}

/** Reports each call to the model: how many texts and how long it took. */
export class TimedEmbedder implements Embedder {
  constructor(
    private readonly inner: Embedder,
    private readonly report: (texts: number, seconds: number) => void,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get dimension(): number {
    return this.inner.dimension;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const started = performance.now();
    try {
      return await this.inner.embed(texts);
    } finally {
      this.report(texts.length, (performance.now() - started) / 1000);
    }
  }
}

export const embedderUnavailable = (id: string, e: unknown): MemError =>
  new MemError('UNAVAILABLE', `embedder ${id} failed: ${(e as Error).message}; nothing was applied`);
