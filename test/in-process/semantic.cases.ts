import { beforeAll, describe, expect, it } from 'vitest';
import type { InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';

/** Five records in two topics, the corpus the search cases (here and end to end) run on. */
export const DOCS = [
  { id: 'cat', content: 'the cat sat on the mat', metadata: { kind: 'animal', legs: '4' }, payload: { source: 'a' } },
  { id: 'dog', content: 'the dog chased the cat around the yard', metadata: { kind: 'animal', legs: '4' } },
  { id: 'bird', content: 'a small bird sang in the tree', metadata: { kind: 'animal', legs: '2' } },
  { id: 'stocks', content: 'stock markets fell sharply on rate fears', metadata: { kind: 'finance', legs: 'none' } },
  { id: 'bonds', content: 'bond yields rose as markets fell', metadata: { kind: 'finance' } },
];

const ids = (reply: { hits: { id: string }[] }) => reply.hits.map((h) => h.id);

/**
 * semantic's behaviour through the dispatcher, the runtime and the read model, in one process over
 * the in-memory log, on a manual clock, with the hashing embedder. Declared on PGlite
 * (semantic.spec.ts: pgvector, HNSW) and on the system Postgres (semantic.int.spec.ts: no pgvector,
 * the exact search), so the same expectations hold for both vector searches. The embedder's
 * metrics and rebuilding the read model from the log stay in test/semantic.e2e.spec.ts.
 */
export const semanticCases: InProcessCases = (service) => {
  let svc: InProcessService;
  const upsert = (ns: string, records: unknown[]) => svc.ok('semantic.upsert', { ns, records });
  const search = (ns: string, body: Record<string, unknown>) => svc.ok('semantic.search', { ns, ...body });
  const refused = (op: string, body: Record<string, unknown>) => svc.when(op, body).then((r) => r.error);

  beforeAll(async () => {
    svc = service();
    await upsert('docs', DOCS);
  });

  describe('upsert', () => {
    it('assigns ids, counts versions, and one failed ifVersion applies nothing', async () => {
      const first = await svc.when('semantic.upsert', { ns: 'cas', records: [{ content: 'no id given' }, { id: 'x', content: 'x', ifVersion: 0 }] });
      expect(first.body.items).toEqual([{ id: expect.any(String), version: 1 }, { id: 'x', version: 1 }]);
      expect(first.events).toMatchObject([
        { type: 'semantic.records_upserted', ns: 'cas', seq: first.body.seq, data: { embedder: 'hashing-384', dimension: 384, records: [{ id: first.body.items[0].id, version: 1 }, { id: 'x', version: 1 }] } },
      ]);
      expect((await upsert('cas', [{ id: 'x', content: 'x2', ifVersion: 1 }])).items).toEqual([{ id: 'x', version: 2 }]);
      const failed = await svc.when('semantic.upsert', { ns: 'cas', records: [{ id: 'y', content: 'y' }, { id: 'x', content: 'x3', ifVersion: 1 }] });
      expect(failed).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'VERSION_MISMATCH' }, events: [] });
      const all = await search('cas', { queryText: 'x y', topK: 10, idsOnly: true });
      expect(ids(all)).not.toContain('y');
      expect((await search('cas', { queryText: 'x2', topK: 10 })).hits.find((h: { id: string }) => h.id === 'x')).toMatchObject({ version: 2, content: 'x2' });
    });

    it('revives a soft-deleted id on re-upsert', async () => {
      await upsert('revive', [{ id: 'r', content: 'phoenix rises' }]);
      expect(await svc.ok('semantic.delete', { ns: 'revive', ids: ['r'] })).toMatchObject({ existed: [true] });
      expect(ids(await search('revive', { queryText: 'phoenix' }))).toEqual([]);
      expect((await upsert('revive', [{ id: 'r', content: 'phoenix rises again' }])).items).toEqual([{ id: 'r', version: 2 }]);
      expect(ids(await search('revive', { queryText: 'phoenix' }))).toEqual(['r']);
    });

    it.each([
      ['neither content nor vector', { ns: 'bad', records: [{ id: 'a' }] }, 'records[0].content'],
      ['a vector of another dimension', { ns: 'docs', records: [{ id: 'v', vector: [1, 2, 3] }] }, 'records[0].vector'],
      ['a non-number in a vector', { ns: 'bad', records: [{ id: 'a', vector: [1, 'x'] }] }, 'records[0].vector'],
      ['an empty batch', { ns: 'bad', records: [] }, 'records'],
      ['validTo before validFrom', { ns: 'bad', records: [{ id: 'a', content: 'a', validFrom: '2026-01-02T00:00:00Z', validTo: '2026-01-01T00:00:00Z' }] }, 'records[0].validTo'],
      ['a bad id', { ns: 'bad', records: [{ id: 'a b', content: 'a' }] }, 'records[0].id'],
    ])('%s is INVALID_ARGUMENT naming the field and appends nothing', async (_n, body, field) => {
      expect(await svc.when('semantic.upsert', body)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
    });
  });

  describe('revert', () => {
    const revert = (body: Record<string, unknown>) => svc.when('semantic.revert', { ns: 'rev', ...body });
    const find = async (text: string, extra: Record<string, unknown> = {}) => (await search('rev', { queryText: text, mode: 'sparse', topK: 10, ...extra })).hits;

    it('brings a record back as it stood at a past sequence (content, vector, metadata, payload), as a new version', async () => {
      const first = await upsert('rev', [{ id: 'office', content: 'the office is in Paris', metadata: { city: 'paris' }, payload: { floor: 3 } }]);
      const [original] = await find('office', { minSeq: first.seq, includeVector: true });
      await upsert('rev', [{ id: 'office', content: 'the office is in Lyon', metadata: { city: 'lyon' } }]);
      const reverted = await revert({ id: 'office', toSeq: first.seq });
      expect(reverted.body).toEqual({ restored: 'record', fromSeq: first.seq, version: 3, seq: expect.any(Number) });
      expect(reverted.events).toMatchObject([{ type: 'semantic.records_upserted', data: { revertedTo: first.seq, records: [{ id: 'office', version: 3, content: 'the office is in Paris' }] } }]);
      const [hit] = await find('office', { minSeq: reverted.body.seq, includePayload: true, includeVector: true });
      expect(hit).toMatchObject({ id: 'office', content: 'the office is in Paris', metadata: { city: 'paris' }, payload: { floor: 3 }, version: 3, validFrom: original.validFrom });
      expect(hit.vector).toEqual(original.vector);
    });

    it('a record not yet written or deleted by then is deleted; a record deleted since comes back; a supersede since is undone for it alone', async () => {
      const before = await upsert('rev', [{ id: 'marker', content: 'marker' }]);
      const created = await upsert('rev', [{ id: 'late', content: 'a late note' }]);
      const gone = await revert({ id: 'late', toSeq: before.seq });
      expect(gone.body).toEqual({ restored: 'absent', fromSeq: null, seq: expect.any(Number) });
      expect(gone.events).toMatchObject([{ type: 'semantic.records_deleted', data: { ids: ['late'], hard: false, revertedTo: before.seq } }]);
      expect(await revert({ id: 'late', toSeq: before.seq })).toMatchObject({ ok: true, body: { restored: 'absent' }, events: [] });
      expect((await revert({ id: 'late', toSeq: created.seq })).body).toMatchObject({ restored: 'record', fromSeq: created.seq });
      expect((await find('late')).map((h: { id: string }) => h.id)).toEqual(['late']);

      const v1 = await upsert('rev', [{ id: 'policy-1', content: 'refund policy is 14 days' }]);
      await upsert('rev', [{ id: 'policy-2', content: 'refund policy is 30 days', supersedes: ['policy-1'] }]);
      expect((await find('refund')).map((h: { id: string }) => h.id)).toEqual(['policy-2']);
      await revert({ id: 'policy-1', toSeq: v1.seq });
      const ids = (await find('refund')).map((h: { id: string }) => h.id);
      expect(ids.sort()).toEqual(['policy-1', 'policy-2']);
    });

    it('refuses a sequence beyond the log, or none, naming the field and appending nothing', async () => {
      expect(await revert({ id: 'office', toSeq: 10_000_000 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect(await revert({ id: 'office' })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'toSeq' } }, events: [] });
      expect(await revert({ id: 'bad id', toSeq: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'id' } }, events: [] });
    });
  });

  describe('search', () => {
    it('dense search ranks by cosine, best first, with content, metadata, version and validity', async () => {
      const reply = await search('docs', { queryText: 'cat on a mat', topK: 3 });
      expect(reply.hits[0]).toMatchObject({ id: 'cat', content: 'the cat sat on the mat', metadata: { kind: 'animal', legs: '4' }, version: 1, validTo: null, validFrom: expect.any(String) });
      expect(reply.hits).toHaveLength(3);
      const scores = reply.hits.map((h: { score: number }) => h.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(reply.hits[0].payload).toBeUndefined();
    });

    it('sparse search uses Postgres full text; hybrid fuses both lanes', async () => {
      expect(ids(await search('docs', { queryText: 'markets', mode: 'sparse' }))).toEqual(expect.arrayContaining(['stocks', 'bonds']));
      expect(ids(await search('docs', { queryText: 'markets', mode: 'sparse' }))).toHaveLength(2);
      const hybrid = await search('docs', { queryText: 'bond yields', mode: 'hybrid', topK: 2 });
      expect(hybrid.hits[0].id).toBe('bonds');
      expect(await refused('semantic.search', { ns: 'docs', queryVector: new Array(384).fill(0.1), mode: 'sparse' })).toMatchObject({ details: { field: 'queryText' } });
    });

    it('explain says where each hit stood in each lane; fusion is chosen per request and checked', async () => {
      const body = { queryText: 'Which markets fell?', mode: 'hybrid', topK: 3, explain: true };
      const linear = await search('docs', body);
      expect(linear.explain).toEqual({
        mode: 'hybrid',
        denseQuery: 'markets fell',
        sparseTerms: ['fell', 'market'],
        fusion: { method: 'linear', weights: { dense: 0.35, sparse: 0.65 }, neighbors: 0.6 },
        depth: 100,
      });
      const top = linear.hits[0];
      expect(top.explain).toMatchObject({ sparse: { rank: expect.any(Number), score: expect.any(Number), terms: ['fell', 'market'] }, fused: top.score });
      for (const h of linear.hits) expect(h.explain.dense === null || h.explain.dense.rank >= 1).toBe(true);
      const rrf = await search('docs', { ...body, fusion: { method: 'rrf', k: 5, weights: { dense: 0, sparse: 1 }, neighbors: 0 } });
      // Sparse weight alone: the order is the sparse lane's, and each score is 1 / (k + rank).
      expect(rrf.hits.slice(0, 2).map((h: { explain: { sparse: { rank: number } } }) => h.explain.sparse.rank)).toEqual([1, 2]);
      expect(rrf.hits[0].score).toBeCloseTo(1 / 6, 9);
      const dense = await search('docs', { queryText: 'cat', explain: true, topK: 1 });
      expect(dense.hits[0].explain).toEqual({ dense: { rank: 1, score: dense.hits[0].score } });
      expect(dense.explain).toEqual({ mode: 'dense', denseQuery: 'cat' });
      expect((await search('docs', { queryText: 'cat' })).hits[0].explain).toBeUndefined();
      const fusionRefused = (fusion: unknown, mode = 'hybrid') => refused('semantic.search', { ns: 'docs', queryText: 'cat', mode, fusion });
      expect(await fusionRefused({ method: 'rrf' }, 'dense')).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'fusion' } });
      expect(await fusionRefused({ method: 'max' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'fusion.method' } });
      expect(await fusionRefused({ method: 'rrf', k: 0 })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'fusion.k' } });
      expect(await fusionRefused({ method: 'linear', weights: { dense: -1, sparse: 1 } })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'fusion.weights.dense' } });
    });

    it('hybrid adds context from the records written just before and after a candidate, among those the filter admits', async () => {
      // Write order is (upsert, place in it): one thread's question and its answer, with another thread's turn between them.
      await upsert('chat', [
        { id: 'hello', content: 'Melanie: hi, good to see you', metadata: { thread: 't1' } },
        { id: 'question', content: 'Melanie: where did you travel last summer, Caroline?', metadata: { thread: 't1' } },
        { id: 'aside', content: 'Jon: the build is green again', metadata: { thread: 't2' } },
      ]);
      await upsert('chat', [
        { id: 'answer', content: 'we went hiking around lake Tahoe for two weeks', metadata: { thread: 't1' } },
        { id: 'later', content: 'Jon: deploying the release now', metadata: { thread: 't2' } },
        { id: 'bye', content: 'Melanie: see you soon, Caroline', metadata: { thread: 't1' } },
      ]);
      const body = { queryText: 'Where did Caroline travel last summer?', mode: 'hybrid', topK: 10, explain: true };
      type Explained = { id: string; score: number; explain: { fused: number; neighbor: { from: string; boost: number } | null } };
      const hit = (reply: { hits: Explained[] }, id: string) => reply.hits.find((h) => h.id === id)!;
      const rank = (reply: { hits: Explained[] }, id: string) => ids(reply).indexOf(id);

      const thread = await search('chat', { ...body, filter: { thread: 't1' } });
      expect(ids(thread)[0]).toBe('question');
      const question = hit(thread, 'question');
      expect(hit(thread, 'answer').explain.neighbor).toEqual({ from: 'question', boost: expect.closeTo(0.6 * (question.score - question.explain.neighbor!.boost), 9) });

      const plain = await search('chat', { ...body, filter: { thread: 't1' }, fusion: { method: 'linear', neighbors: 0 } });
      // The closing turn shares a word with the question and the answer does not: only the answer's neighbour lifts it above.
      expect(rank(plain, 'answer')).toBeGreaterThan(rank(plain, 'bye'));
      expect(rank(thread, 'answer')).toBeLessThan(rank(thread, 'bye'));
      for (const h of plain.hits as Explained[]) expect(h.explain.neighbor).toBeNull();

      // Unfiltered, the other thread's turns stand between the question and the answer.
      const everything = await search('chat', body);
      expect(hit(everything, 'answer').explain.neighbor?.from).not.toBe('question');
      expect(hit(everything, 'aside').explain.neighbor?.from).toBe('question');
      // A deleted record is nobody's neighbour.
      await svc.ok('semantic.delete', { ns: 'chat', ids: ['aside'] });
      expect(hit(await search('chat', body), 'answer').explain.neighbor?.from).toBe('question');
      expect(await refused('semantic.search', { ...body, ns: 'chat', fusion: { method: 'linear', neighbors: 1.5 } })).toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { field: 'fusion.neighbors' },
      });
    });

    it("a neighbour is looked for among the nearest 64 writes on each side, however few records the filter admits", async () => {
      const thread = (ns: string, between: number) =>
        upsert(ns, [
          { id: 'question', content: 'Melanie: where did you travel last summer, Caroline?', metadata: { thread: 't1' } },
          ...Array.from({ length: between }, (_, i) => ({ id: `other-${i}`, content: `Jon: build ${i} is green`, metadata: { thread: 't2' } })),
          { id: 'answer', content: 'we went hiking around lake Tahoe for two weeks', metadata: { thread: 't1' } },
        ]);
      const neighborOfAnswer = async (ns: string) => {
        const reply = await search(ns, { queryText: 'Where did Caroline travel last summer?', mode: 'hybrid', explain: true, filter: { thread: 't1' } });
        return reply.hits.find((h: { id: string }) => h.id === 'answer').explain.neighbor;
      };
      await thread('reach-near', 63);
      await thread('reach-far', 64);
      expect(await neighborOfAnswer('reach-near')).toMatchObject({ from: 'question' });
      expect(await neighborOfAnswer('reach-far')).toBeNull();
    });

    it('metadata values are strings, numbers or booleans, kept as given; filters keep types, and bad values change nothing', async () => {
      await upsert('typed', [
        { id: 'n', content: 'typed values', metadata: { priority: 5, score: 0.75, pinned: true, label: '5' } },
        { id: 's', content: 'typed values', metadata: { priority: '5', pinned: 'true' } },
      ]);
      const typed = await search('typed', { queryText: 'typed', topK: 5, filter: { priority: 5 } });
      expect(typed.hits.map((h: { id: string; metadata: unknown }) => [h.id, h.metadata])).toEqual([['n', { priority: 5, score: 0.75, pinned: true, label: '5' }]]);
      expect(ids(await search('typed', { queryText: 'typed', filter: { pinned: 'true' } }))).toEqual(['s']);
      expect(ids(await search('typed', { queryText: 'typed', predicates: [{ field: 'score', op: 'gt', value: 0.5 }] }))).toEqual(['n']);
      for (const metadata of [{ nested: { a: 1 } }, { missing: null }, { list: ['a'] }]) {
        const reply = await svc.when('semantic.upsert', { ns: 'typed', records: [{ id: 'bad', content: 'x', metadata }] });
        expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'records[0].metadata' } }, events: [] });
      }
      expect(await refused('semantic.search', { ns: 'typed', queryText: 'x', filter: { a: { b: 1 } } })).toMatchObject({ details: { field: 'filter' } });
      expect(ids(await search('typed', { queryText: 'x', topK: 5 })).sort()).toEqual(['n', 's']);
    });

    it('filter is exact-match AND on metadata; predicates compare, and non-numbers never match numeric ops', async () => {
      expect(ids(await search('docs', { queryText: 'animal', topK: 10, filter: { kind: 'finance' } })).sort()).toEqual(['bonds', 'stocks']);
      const p = (predicates: unknown[]) => search('docs', { queryText: 'x', topK: 10, predicates }).then((r) => ids(r).sort());
      expect(await p([{ field: 'legs', op: 'gt', value: 2 }])).toEqual(['cat', 'dog']);
      expect(await p([{ field: 'legs', op: 'lte', value: 2 }])).toEqual(['bird']);
      expect(await p([{ field: 'legs', op: 'eq', value: 'none' }])).toEqual(['stocks']);
      expect(await p([{ field: 'legs', op: 'neq', value: '4' }])).toEqual(['bird', 'stocks']);
      expect(await p([{ field: 'legs', op: 'in', value: ['2', 'none'] }])).toEqual(['bird', 'stocks']);
      expect(await p([{ field: 'kind', op: 'eq', value: 'animal' }, { field: 'legs', op: 'gte', value: 4 }])).toEqual(['cat', 'dog']);
      expect(await refused('semantic.search', { ns: 'docs', queryText: 'x', predicates: [{ field: 'legs', op: 'gt', value: 'four' }] })).toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { field: 'predicates[0].value' },
      });
    });

    it('minScore, idsOnly, includePayload and includeVector shape the hits', async () => {
      const all = await search('docs', { queryText: 'the cat sat on the mat', topK: 5 });
      const cut = all.hits[1].score;
      expect((await search('docs', { queryText: 'the cat sat on the mat', topK: 5, minScore: cut })).hits.every((h: { score: number }) => h.score >= cut)).toBe(true);
      expect((await search('docs', { queryText: 'cat', topK: 1, idsOnly: true, includePayload: true })).hits[0]).toEqual({ id: 'cat', score: expect.any(Number) });
      const full = await search('docs', { queryText: 'the cat sat on the mat', topK: 1, includePayload: true, includeVector: true });
      expect(full.hits[0]).toMatchObject({ id: 'cat', payload: { source: 'a' } });
      expect(full.hits[0].vector).toHaveLength(384);
    });

    it('caller vectors are searched by queryVector and come back as given', async () => {
      const v = Array.from({ length: 8 }, (_, i) => (i + 1) / 10);
      await upsert('vectors', [{ id: 'v1', vector: v, content: 'first' }, { id: 'v2', vector: v.map((x) => -x) }]);
      const reply = await search('vectors', { queryVector: v, topK: 2, includeVector: true });
      expect(ids(reply)).toEqual(['v1', 'v2']);
      expect(reply.hits[0].score).toBeCloseTo(1, 5);
      reply.hits[0].vector.forEach((x: number, i: number) => expect(x).toBeCloseTo(v[i], 6));
      expect(await refused('semantic.search', { ns: 'vectors', queryVector: [1, 2] })).toMatchObject({ details: { field: 'queryVector' } });
      expect(await refused('semantic.search', { ns: 'vectors', queryText: 'first' })).toMatchObject({ details: { field: 'queryText' } });
      expect(await refused('semantic.search', { ns: 'vectors', queryText: 'a', queryVector: v })).toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('created-time windows are exclusive', async () => {
      await upsert('created', [{ id: 'early', content: 'alpha' }]);
      await svc.clock.advance(30);
      const middle = svc.clock.now().toISOString();
      await svc.clock.advance(30);
      await upsert('created', [{ id: 'late', content: 'alpha beta' }]);
      expect(ids(await search('created', { queryText: 'alpha', createdAfter: middle }))).toEqual(['late']);
      expect(ids(await search('created', { queryText: 'alpha', createdBefore: middle }))).toEqual(['early']);
    });
  });

  describe('validity in time', () => {
    it('supersedes closes the old record at the new one’s validFrom; asOf and includeInvalidated see history', async () => {
      await upsert('facts', [{ id: 'ceo-1', content: 'the ceo is alice', validFrom: '2025-01-01T00:00:00.000Z' }]);
      await upsert('facts', [{ id: 'ceo-2', content: 'the ceo is bob', validFrom: '2026-01-01T00:00:00.000Z', supersedes: ['ceo-1', 'unknown'] }]);
      expect(ids(await search('facts', { queryText: 'who is the ceo', topK: 5 }))).toEqual(['ceo-2']);
      const then = await search('facts', { queryText: 'who is the ceo', topK: 5, asOf: '2025-06-01T00:00:00.000Z' });
      expect(ids(then)).toEqual(['ceo-1']);
      expect(then.hits[0].validTo).toBe('2026-01-01T00:00:00.000Z');
      expect(ids(await search('facts', { queryText: 'who is the ceo', topK: 5, includeInvalidated: true })).sort()).toEqual(['ceo-1', 'ceo-2']);
    });

    it('a record valid only in the future is not returned now', async () => {
      await upsert('future', [{ id: 'next', content: 'launch day', validFrom: '2099-01-01T00:00:00.000Z' }]);
      expect(ids(await search('future', { queryText: 'launch' }))).toEqual([]);
      expect(ids(await search('future', { queryText: 'launch', asOf: '2099-06-01T00:00:00.000Z' }))).toEqual(['next']);
    });
  });

  describe('delete and expire', () => {
    it('soft delete hides, hard delete removes for good, and existed says what was there', async () => {
      await upsert('del', [{ id: 'a', content: 'apple' }, { id: 'b', content: 'banana' }]);
      const soft = await svc.when('semantic.delete', { ns: 'del', ids: ['a', 'zz'] });
      expect(soft.events).toMatchObject([{ type: 'semantic.records_deleted', data: { ids: ['a', 'zz'], existed: [true, false], hard: false } }]);
      expect(soft.body).toEqual({ existed: [true, false], seq: expect.any(Number) });
      expect(await svc.when('semantic.delete', { ns: 'del', ids: ['a'] })).toEqual({ ok: true, body: { existed: [false] }, events: [] });
      expect(ids(await search('del', { queryText: 'apple banana', topK: 5 }))).toEqual(['b']);
      expect(ids(await search('del', { queryText: 'apple', topK: 5, includeInvalidated: true })).sort()).toEqual(['a', 'b']);
      expect(await svc.ok('semantic.delete', { ns: 'del', ids: ['a'], hard: true })).toMatchObject({ existed: [true] });
      expect(ids(await search('del', { queryText: 'apple', topK: 5, includeInvalidated: true }))).toEqual(['b']);
    });

    it('expire by filter invalidates, soft- or hard-deletes the oldest up to maxRows', async () => {
      for (let i = 0; i < 4; i++) {
        await upsert('exp', [{ id: `t${i}`, content: `topic ${i}`, metadata: { group: 'g' } }]);
        await svc.clock.advance(1);
      }
      await upsert('exp', [{ id: 'other', content: 'topic other', metadata: { group: 'h' } }]);
      expect(await svc.ok('semantic.expire', { ns: 'exp', filter: { group: 'g' }, action: 'invalidate', maxRows: 2 })).toMatchObject({ affected: 2 });
      expect(ids(await search('exp', { queryText: 'topic', topK: 10 })).sort()).toEqual(['other', 't2', 't3']);
      expect(await svc.ok('semantic.expire', { ns: 'exp', filter: { group: 'g' }, action: 'soft', maxRows: 10 })).toMatchObject({ affected: 4 });
      expect(await svc.ok('semantic.expire', { ns: 'exp', filter: { group: 'g' }, action: 'hard', maxRows: 10 })).toMatchObject({ affected: 4 });
      expect(ids(await search('exp', { queryText: 'topic', topK: 10, includeInvalidated: true }))).toEqual(['other']);
      expect(await refused('semantic.expire', { ns: 'exp', filter: {}, action: 'purge', maxRows: 1 })).toMatchObject({ details: { field: 'action' } });
      expect(await refused('semantic.expire', { ns: 'exp', filter: {}, action: 'soft' })).toMatchObject({ details: { field: 'maxRows' } });
    });
  });
};
