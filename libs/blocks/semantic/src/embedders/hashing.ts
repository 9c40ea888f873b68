import type { Embedder } from './embedder';

const fnv1a = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
};

/**
 * A deterministic embedder for tests and CI: words and character trigrams are feature-hashed into
 * `dimension` signed buckets and the vector is L2-normalised. Shared words mean similar vectors;
 * it knows nothing of meaning (no synonyms, no paraphrase).
 */
export class HashingEmbedder implements Embedder {
  readonly id: string;

  constructor(readonly dimension = 384) {
    this.id = `hashing-${dimension}`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.vector(t));
  }

  private vector(text: string): number[] {
    const v = new Array<number>(this.dimension).fill(0);
    const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
    const features = [...words.map((w) => `w:${w}`), ...words.flatMap((w) => trigrams(` ${w} `).map((g) => `g:${g}`))];
    for (const f of features) {
      const h = fnv1a(f);
      v[h % this.dimension] += h & 0x80000000 ? -1 : 1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }
}

const trigrams = (w: string): string[] => Array.from({ length: Math.max(0, w.length - 2) }, (_, i) => w.slice(i, i + 3));
