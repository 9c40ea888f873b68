import type { SemanticConfig } from '@memsidecar/config';
import { CachedEmbedder, type Embedder } from './embedder';
import { HashingEmbedder } from './hashing';
import { OllamaEmbedder, OpenAiEmbedder } from './remote';
import { UseLiteEmbedder } from './use-lite';

export * from './embedder';
export * from './hashing';
export * from './remote';
export * from './use-lite';

/** The configured embedder, behind the cache. */
export function embedderFromConfig(c: SemanticConfig): Embedder {
  const remote = () => {
    const { baseUrl, model, dimensions, apiKeyEnv } = c.remote;
    if (!baseUrl || !model || !dimensions) throw new Error(`semantic.embedder ${c.embedder} needs semantic.remote.baseUrl, model and dimensions`);
    return { baseUrl, model, dimensions, apiKey: apiKeyEnv ? process.env[apiKeyEnv] : undefined };
  };
  const inner: Embedder =
    c.embedder === 'hashing'
      ? new HashingEmbedder()
      : c.embedder === 'openai'
        ? new OpenAiEmbedder(remote())
        : c.embedder === 'ollama'
          ? new OllamaEmbedder(remote())
          : new UseLiteEmbedder();
  return c.cacheSize > 0 ? new CachedEmbedder(inner, c.cacheSize) : inner;
}
