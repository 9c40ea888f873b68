import type { Embedder } from './embedder';

export interface RemoteEmbedderOptions {
  baseUrl: string;
  model: string;
  dimensions: number;
  apiKey?: string;
  timeoutMs?: number;
}

async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return response.json();
}

function checked(vectors: unknown, count: number, dimension: number): number[][] {
  if (!Array.isArray(vectors) || vectors.length !== count) throw new Error(`expected ${count} embeddings`);
  for (const v of vectors) {
    if (!Array.isArray(v) || v.length !== dimension || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new Error(`an embedding is not ${dimension} finite numbers`);
    }
  }
  return vectors as number[][];
}

/** Any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, vLLM, LiteLLM, LocalAI, ...). */
export class OpenAiEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;

  constructor(private readonly o: RemoteEmbedderOptions) {
    this.id = `openai:${o.model}`;
    this.dimension = o.dimensions;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const headers: Record<string, string> = this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {};
    const reply = (await postJson(`${this.o.baseUrl.replace(/\/$/, '')}/v1/embeddings`, { model: this.o.model, input: texts }, headers, this.o.timeoutMs ?? 30_000)) as {
      data?: { index: number; embedding: number[] }[];
    };
    const ordered = [...(reply.data ?? [])].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    return checked(ordered, texts.length, this.dimension);
  }
}

/** Ollama's `/api/embed`. */
export class OllamaEmbedder implements Embedder {
  readonly id: string;
  readonly dimension: number;

  constructor(private readonly o: RemoteEmbedderOptions) {
    this.id = `ollama:${o.model}`;
    this.dimension = o.dimensions;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const reply = (await postJson(`${this.o.baseUrl.replace(/\/$/, '')}/api/embed`, { model: this.o.model, input: texts }, {}, this.o.timeoutMs ?? 30_000)) as {
      embeddings?: number[][];
    };
    return checked(reply.embeddings, texts.length, this.dimension);
  }
}
