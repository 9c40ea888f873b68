import type { SemanticConfig } from '@memsidecar/config';
import { CachedEmbedder, TimedEmbedder, type Embedder } from './embedder';
import { HashingEmbedder } from './hashing';
import { OllamaEmbedder, OpenAiEmbedder } from './remote';
import { UseLiteEmbedder } from './use-lite';

export * from './embedder';
export * from './hashing';
export * from './remote';
export * from './use-lite';

/** The configured embedder, timed where `report` is given, behind the cache (so only model calls are timed). */
export function embedderFromConfig(c: SemanticConfig, report?: (embedder: string, texts: number, seconds: number) => void): Embedder {
  const remote = () => {
    const { baseUrl, model, dimensions, apiKeyEnv } = c.remote;
    if (!baseUrl || !model || !dimensions) throw new Error(`semantic.embedder ${c.embedder} needs semantic.remote.baseUrl, model and dimensions`);
    return { baseUrl, model, dimensions, apiKey: apiKeyEnv ? process.env[apiKeyEnv] : undefined };
  };
  const model: Embedder =
    c.embedder === 'hashing'
      ? new HashingEmbedder()
      : c.embedder === 'openai'
        ? new OpenAiEmbedder(remote())
        : c.embedder === 'ollama'
          ? new OllamaEmbedder(remote())
          : new UseLiteEmbedder();
  const inner = report ? new TimedEmbedder(model, (texts, seconds) => report(model.id, texts, seconds)) : model;
  return c.cacheSize > 0 ? new CachedEmbedder(inner, c.cacheSize) : inner;
}
