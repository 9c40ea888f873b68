import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { Database } from '@memsidecar/projections';
import { createTestDatabase, type TestDatabase } from '@memsidecar/testing';
import type { MetadataValue, SemanticEvent, StoredRecord } from './semantic.events';
import { semanticBlock } from './semantic.block';
import { semanticProjection } from './semantic.projection';
import { BM25, SemanticSearch } from './semantic.search';
import type { SearchFilter } from './search-filter';
import { encodeVector } from './vector-codec';

const AT = '2026-01-01T00:00:00.000Z';

const NOTES: [string, string, Record<string, MetadataValue>?][] = [
  ['group', 'Caroline went to the LGBTQ support group yesterday', { n: 5, flag: true }],
  ['sunrise', 'Melanie painted a sunrise over the lake last year', { n: 5.5, flag: false }],
  ['weekends', 'Caroline: I love painting, I paint every single weekend and paint at night', { n: '5', flag: 'true' }],
  ['deploy', 'The deploy of order-42 failed for user_123 on the build server', { legacy: '12' }],
  ['mail', 'Email jane@example.com about the unpaid invoice', { legacy: 'twelve' }],
  ['shoes', 'Running shoes are on sale at the store downtown', {}],
];

function upsertEvent(records: [string, string, Record<string, MetadataValue>?][]): StoredEvent<SemanticEvent> {
  const stored: StoredRecord[] = records.map(([id, content, metadata], k) => ({
    id, version: 1, content, vector: encodeVector([1, k, 0]), payload: null, metadata: metadata ?? null,
    validFrom: AT, validTo: null, supersedes: [], createdAt: AT, updatedAt: AT,
  }));
  return {
    seq: 1, id: 'evt-1', type: 'semantic.records_upserted', v: 1, at: AT, tenant: 'acme', agent: 'bot', block: 'semantic', ns: 'notes', entity: 'index',
    data: { embedder: 'test', dimension: 3, records: stored },
  } as StoredEvent<SemanticEvent>;
}

// The same expectations on PGlite and on the system Postgres: BM25 is plain SQL on both.
describe.each(['postgres', 'pglite'] as const)('semantic search - sparse BM25 and typed metadata on %s', (kind) => {
  let pg: TestDatabase | undefined;
  let db: Database;
  let search: SemanticSearch;
  const scope = (extra: Partial<SearchFilter> = {}): SearchFilter => ({ tenant: 'acme', ns: 'notes', validAt: new Date(), present: true, ...extra });
  const sparse = async (text: string, extra?: Partial<SearchFilter>) => (await search.sparse(scope(extra), text, 10)).map((h) => h.id);

  beforeAll(async () => {
    pg = kind === 'postgres' ? await createTestDatabase() : undefined;
    db = await Database.open({ url: pg?.url, pgliteDir: 'memory://', entities: semanticBlock.entities, migrations: semanticBlock.migrations });
    await db.transaction((sql) => semanticProjection.apply(sql, [upsertEvent(NOTES)]));
    search = new SemanticSearch(db);
  });

  afterAll(async () => {
    await db?.close();
    await pg?.drop();
  });

  describe('sparse', () => {
    it('matches any query term, so a natural-language question finds what its content words find', async () => {
      const hits = await sparse('When did Caroline go to the support group?');
      expect(hits[0]).toBe('group');
      expect(hits).toContain('weekends');
      expect(hits).not.toContain('sunrise');
    });

    it('stems words and ignores stop words; a question of stop words alone finds nothing', async () => {
      expect((await sparse('paintings')).sort()).toEqual(['sunrise', 'weekends']);
      expect(await sparse('runs')).toEqual(['shoes']);
      expect(await sparse('what is the one that was')).toEqual([]);
    });

    it('identifiers match: snake_case, hyphenated codes and e-mail addresses', async () => {
      expect(await sparse('user_123')).toEqual(['deploy']);
      expect((await sparse('order-42'))[0]).toBe('deploy');
      expect(await sparse('jane@example.com')).toEqual(['mail']);
    });

    it('ranks by BM25: a rare term outweighs a common one, repetition saturates, and hits name the terms they matched', async () => {
      const [first, ...rest] = await search.sparse(scope(), 'Caroline sunrise', 10);
      expect(first).toMatchObject({ id: 'sunrise', terms: ['sunris'] });
      expect(rest.map((h) => [h.id, h.terms])).toEqual(expect.arrayContaining([['group', ['carolin']], ['weekends', ['carolin']]]));
      const paint = await search.sparse(scope(), 'paint', 10);
      expect(paint.map((h) => h.id)).toEqual(['weekends', 'sunrise']);
      expect(paint[0].score / paint[1].score).toBeLessThan(3);
    });

    it('scores are Okapi BM25 over the records the filter admits', async () => {
      const query = 'Caroline painting weekend';
      const expected = await bm25ByHand(db, query, ['group', 'sunrise', 'weekends', 'deploy', 'mail', 'shoes']);
      const hits = await search.sparse(scope(), query, 10);
      expect(hits.map((h) => h.id)).toEqual([...expected.keys()]);
      for (const h of hits) expect(h.score).toBeCloseTo(expected.get(h.id)!, 9);
      // Only three records admitted: fewer records, other document frequencies, other scores.
      const narrowed = await bm25ByHand(db, query, ['group', 'sunrise', 'weekends']);
      const filtered = await search.sparse(scope({ predicates: [{ field: 'n', op: 'gte', value: 5 }] }), query, 10);
      for (const h of filtered) expect(h.score).toBeCloseTo(narrowed.get(h.id)!, 9);
    });

    it('the query terms come out as the sparse lane matches them', async () => {
      expect(await search.queryTerms('What did Caroline paint?')).toEqual(['carolin', 'paint']);
      expect(await search.queryTerms('the what')).toEqual([]);
    });
  });

  describe('metadata values of any JSON scalar', () => {
    const ids = async (extra: Partial<SearchFilter>) => (await search.dense(scope(extra), [1, 0, 0], 10)).map((h) => h.id).sort();

    it('filter exact match keeps types: the number 5 is not the string "5", true is not "true"', async () => {
      expect(await ids({ filter: { n: 5 } })).toEqual(['group']);
      expect(await ids({ filter: { n: '5' } })).toEqual(['weekends']);
      expect(await ids({ filter: { flag: true } })).toEqual(['group']);
      expect(await ids({ filter: { flag: 'true' } })).toEqual(['weekends']);
      expect(await ids({ filter: { flag: false, n: 5.5 } })).toEqual(['sunrise']);
    });

    it('eq, neq and in compare JSON values; numbers by value', async () => {
      const p = (field: string, op: 'eq' | 'neq' | 'in', value: unknown) => ids({ predicates: [{ field, op, value }] });
      expect(await p('n', 'eq', 5.0)).toEqual(['group']);
      expect(await p('n', 'eq', '5')).toEqual(['weekends']);
      expect(await p('flag', 'neq', true)).toEqual(['sunrise', 'weekends']);
      expect(await p('n', 'in', [5.5, '5'])).toEqual(['sunrise', 'weekends']);
      expect(await p('flag', 'in', [false])).toEqual(['sunrise']);
    });

    it('gt..lte compare numbers as numbers (numeric strings too); other values never match', async () => {
      const p = (field: string, op: 'gt' | 'gte' | 'lt' | 'lte', value: number) => ids({ predicates: [{ field, op, value }] });
      expect(await p('n', 'gt', 5)).toEqual(['sunrise']);
      expect(await p('n', 'gte', 5)).toEqual(['group', 'sunrise', 'weekends']);
      expect(await p('n', 'lt', 10)).toEqual(['group', 'sunrise', 'weekends']);
      // As text "12" < "9"; as numbers it is the other way round.
      expect(await p('legacy', 'gt', 9)).toEqual(['deploy']);
      expect(await p('flag', 'lte', 1)).toEqual([]);
    });

    it('values come back with their types', async () => {
      const [hit] = await search.dense(scope({ filter: { n: 5 } }), [1, 0, 0], 1);
      expect(hit.metadata).toEqual({ n: 5, flag: true });
    });
  });
});

/**
 * BM25 computed here from the lexemes Postgres gives each text, with the same constants: a second,
 * independent derivation of what the single SQL statement computes.
 */
async function bm25ByHand(db: Database, query: string, admitted: string[]): Promise<Map<string, number>> {
  const lexemes = async (text: string) =>
    new Map((await db.query<{ lexeme: string; tf: number }>(`SELECT lexeme, cardinality(positions) AS tf FROM unnest(to_tsvector('english', $1))`, [text])).map((r) => [r.lexeme, r.tf]));
  const docs = await Promise.all(NOTES.filter(([id]) => admitted.includes(id)).map(async ([id, content]) => ({ id, terms: await lexemes(content) })));
  const terms = [...(await lexemes(query)).keys()];
  const avgdl = docs.reduce((n, d) => n + d.terms.size, 0) / docs.length;
  const scores = new Map<string, number>();
  for (const d of docs) {
    let score = 0;
    for (const t of terms) {
      const tf = d.terms.get(t);
      if (!tf) continue;
      const df = docs.filter((x) => x.terms.has(t)).length;
      const idf = Math.log(1 + (docs.length - df + 0.5) / (df + 0.5));
      score += (idf * tf * (BM25.k1 + 1)) / (tf + BM25.k1 * (1 - BM25.b + (BM25.b * d.terms.size) / avgdl));
    }
    if (score > 0) scores.set(d.id, score);
  }
  return new Map([...scores].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
