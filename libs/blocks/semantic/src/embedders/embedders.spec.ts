import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CachedEmbedder, HashingEmbedder, OllamaEmbedder, OpenAiEmbedder, UseLiteEmbedder, type Embedder } from './index';

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));

describe('embedders - hashing', () => {
  it('is deterministic, unit length, and closer for texts that share words', async () => {
    const e = new HashingEmbedder(384);
    const [a, b, c] = await e.embed(['the cat sat on the mat', 'the cat sat on a rug', 'stock markets fell']);
    expect(await e.embed(['the cat sat on the mat'])).toEqual([a]);
    expect(Math.hypot(...a)).toBeCloseTo(1, 6);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
  });
});

describe('embedders - use-lite (offline sentence model)', () => {
  it('loads from the npm package and knows paraphrases the hashing embedder cannot', async () => {
    const [cat, feline, stocks] = await new UseLiteEmbedder().embed(['the cat sat on the mat', 'a feline rested on the rug', 'stock markets fell sharply']);
    expect(cat).toHaveLength(512);
    expect(cosine(cat, feline)).toBeGreaterThan(cosine(cat, stocks) + 0.3);
  }, 60_000);
});

describe('embedders - remote (against a local stub server)', () => {
  let server: Server;
  let base = '';
  const seen: { url: string; body: any; auth?: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const body = JSON.parse(raw);
        seen.push({ url: req.url!, body, auth: req.headers.authorization });
        const vectors = (body.input as string[]).map((t) => [t.length, 1, 0]);
        res.setHeader('content-type', 'application/json');
        if (body.model === 'broken') return void res.writeHead(500).end('{"error":"boom"}');
        if (req.url === '/v1/embeddings') res.end(JSON.stringify({ data: vectors.map((embedding, index) => ({ index, embedding })).reverse() }));
        else if (req.url === '/api/embed') res.end(JSON.stringify({ embeddings: vectors }));
        else res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('speaks the OpenAI embeddings API, in input order, with the API key', async () => {
    const e = new OpenAiEmbedder({ baseUrl: base, model: 'm1', dimensions: 3, apiKey: 'secret' });
    expect(await e.embed(['ab', 'abcd'])).toEqual([[2, 1, 0], [4, 1, 0]]);
    expect(seen.at(-1)).toMatchObject({ url: '/v1/embeddings', body: { model: 'm1', input: ['ab', 'abcd'] }, auth: 'Bearer secret' });
    expect(e.id).toBe('openai:m1');
  });

  it('speaks the Ollama embed API', async () => {
    const e = new OllamaEmbedder({ baseUrl: base, model: 'nomic', dimensions: 3 });
    expect(await e.embed(['xyz'])).toEqual([[3, 1, 0]]);
    expect(seen.at(-1)).toMatchObject({ url: '/api/embed', body: { model: 'nomic', input: ['xyz'] } });
  });

  it('refuses a wrong dimension and reports server errors', async () => {
    await expect(new OllamaEmbedder({ baseUrl: base, model: 'nomic', dimensions: 4 }).embed(['x'])).rejects.toThrow(/4 finite numbers/);
    await expect(new OpenAiEmbedder({ baseUrl: base, model: 'broken', dimensions: 3 }).embed(['x'])).rejects.toThrow(/500/);
  });
});

describe('embedders - cache', () => {
  it('embeds each distinct content once', async () => {
    let calls = 0;
    const inner: Embedder = { id: 'count', dimension: 1, embed: async (texts) => ((calls += texts.length), texts.map((t) => [t.length])) };
    const cached = new CachedEmbedder(inner, 10);
    expect(await cached.embed(['a', 'bb', 'a'])).toEqual([[1], [2], [1]]);
    expect(await cached.embed(['bb', 'ccc'])).toEqual([[2], [3]]);
    expect(calls).toBe(3);
  });
});
