import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';
import { DOCS } from './in-process/semantic.cases';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');

/**
 * What semantic needs a running service for: the embedder's calls counted on /metrics, and
 * `memctl projections rebuild` against the stopped service's store, then a restart that searches
 * alike. Its behaviour (upsert and versions, dense, sparse and hybrid search, explain, filters and
 * predicates, validity in time, delete and expire) is specified in process, on PGlite with pgvector
 * (test/in-process/semantic.spec.ts) and on the system Postgres's exact search
 * (test/in-process/semantic.int.spec.ts).
 */
describe.each(['pglite', 'postgres'] as const)('semantic - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind, { MEMSIDECAR_EMBEDDER: 'hashing' });
  let client: NatsTestClient;
  const upsert = (ns: string, records: unknown[]) => client.ok('semantic.upsert', { ns, records });
  const search = (ns: string, body: Record<string, unknown>) => client.ok('semantic.search', { ns, ...body });

  beforeAll(async () => {
    client = f.client;
    await upsert('docs', DOCS);
    await upsert('facts', [{ id: 'ceo-1', content: 'the ceo is alice', validFrom: '2025-01-01T00:00:00.000Z' }]);
    await upsert('facts', [{ id: 'ceo-2', content: 'the ceo is bob', validFrom: '2026-01-01T00:00:00.000Z', supersedes: ['ceo-1'] }]);
  });

  it('an upsert embeds its batch in one model call, and each call is timed in /metrics', async () => {
    const calls = async () => {
      const text = await (await fetch(`${f.service.httpUrl}/metrics`)).text();
      const count = (name: string) => Number(text.match(new RegExp(`^${name}\\{embedder="hashing-384"\\} (\\d+)`, 'm'))?.[1] ?? 0);
      return { calls: count('memsidecar_embedder_request_duration_seconds_count'), texts: count('memsidecar_embedder_texts_total') };
    };
    const before = await calls();
    await upsert('batch', Array.from({ length: 20 }, (_, i) => ({ id: `b${i}`, content: `batch text number ${i}` })));
    expect(await calls()).toEqual({ calls: before.calls + 1, texts: before.texts + 20 });
  });

  it('rebuilding the read models from the log gives identical search results, without calling the embedder', async () => {
    const queries = [
      { queryText: 'cat on a mat', topK: 5, includeVector: true },
      { queryText: 'markets', mode: 'sparse' },
      { queryText: 'bond yields', mode: 'hybrid', topK: 3 },
      { queryText: 'who is the ceo', topK: 5, includeInvalidated: true },
    ];
    const nsOf = (i: number) => (i === 3 ? 'facts' : 'docs');
    const before = await Promise.all(queries.map((q, i) => search(nsOf(i), q)));
    await f.service.stop();
    const env = { ...process.env, MEMSIDECAR_NATS_URL: f.nats.url, MEMSIDECAR_DATA_DIR: f.service.dataDir, ...(f.pg ? { MEMSIDECAR_DATABASE_URL: f.pg.url } : {}) };
    const { stdout } = await run(process.execPath, [MEMCTL, 'projections', 'rebuild'], { env });
    expect(stdout).toMatch(/semantic_records: rebuilt up to seq \d+/);
    f.service = await f.service.restart();
    expect(await Promise.all(queries.map((q, i) => search(nsOf(i), q)))).toEqual(before);
  });
});
