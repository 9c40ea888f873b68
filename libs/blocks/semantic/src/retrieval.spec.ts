import { describe, expect, it } from 'vitest';
import { isMemError } from '@memsidecar/core';
import { DEFAULT_FUSION, DEFAULT_RRF_K, fuse, withNeighbors, type Neighbors } from './fusion';
import { prepareDenseQuery } from './query-preparation';
import { fusedLanes, fusionFor, singleLane } from './retrieval';
import type { HitRow, SparseHitRow } from './semantic.search';

const lane = (...hits: [string, number][]) => hits.map(([id, score]) => ({ id, score }));
const row = (id: string, score: number, terms?: string[]): SparseHitRow =>
  ({ id, score, version: 1, content: id, vector: '', payload: null, metadata: {}, valid_from: new Date(0), valid_to: null, terms: terms ?? [] }) as SparseHitRow;

describe('fuse', () => {
  it('linear: each lane min-max normalised, then mixed by the weights; a record missing from a lane gets 0 there', () => {
    const fused = fuse(lane(['a', 0.9], ['b', 0.5], ['c', 0.1]), lane(['c', 12], ['d', 4]), { method: 'linear', weights: { dense: 0.4, sparse: 0.6 } });
    expect(fused.map((h) => h.id)).toEqual(['c', 'a', 'b', 'd']);
    expect(fused.find((h) => h.id === 'a')!.score).toBeCloseTo(0.4);
    expect(fused.find((h) => h.id === 'b')!.score).toBeCloseTo(0.2);
    expect(fused.find((h) => h.id === 'c')!.score).toBeCloseTo(0.6);
    expect(fused.find((h) => h.id === 'd')!.score).toBeCloseTo(0);
  });

  it('linear: a lane of equal scores (or of one hit) counts as fully relevant', () => {
    expect(fuse(lane(['a', 0.3]), [], { method: 'linear', weights: { dense: 0.45, sparse: 0.55 } })).toEqual([{ id: 'a', score: 0.45 }]);
  });

  it('rrf: weight / (k + rank) summed over the lanes', () => {
    const fused = fuse(lane(['a', 0.9], ['b', 0.5]), lane(['b', 3], ['c', 1]), { method: 'rrf', k: 10, weights: { dense: 1, sparse: 2 } });
    expect(fused).toEqual([
      { id: 'b', score: 1 / 12 + 2 / 11 },
      { id: 'c', score: 2 / 12 },
      { id: 'a', score: 1 / 11 },
    ]);
  });

  it('equal scores are ordered by id, so the same lanes always fuse the same way', () => {
    const options = { method: 'rrf', k: 60, weights: { dense: 1, sparse: 1 } } as const;
    expect(fuse(lane(['b', 1]), lane(['a', 1]), options).map((h) => h.id)).toEqual(['a', 'b']);
    expect(fuse(lane(['a', 1]), lane(['b', 1]), options).map((h) => h.id)).toEqual(['a', 'b']);
  });
});

describe('fusionFor', () => {
  const problem = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return isMemError(e) ? [e.code, e.details?.field] : e;
    }
    return null;
  };

  it('defaults to the tuned linear mix; rrf defaults to the tuned k with equal weights', () => {
    expect(fusionFor('hybrid', undefined)).toEqual(DEFAULT_FUSION);
    expect(fusionFor('dense', undefined)).toEqual(DEFAULT_FUSION);
    expect(fusionFor('hybrid', { method: 'rrf' })).toEqual({ method: 'rrf', k: DEFAULT_RRF_K, weights: { dense: 1, sparse: 1 }, neighbors: DEFAULT_FUSION.neighbors });
    expect(fusionFor('hybrid', { method: 'linear', weights: { dense: 1, sparse: 0 } })).toEqual({ method: 'linear', weights: { dense: 1, sparse: 0 }, neighbors: DEFAULT_FUSION.neighbors });
    expect(fusionFor('hybrid', { method: 'linear', neighbors: 0 })).toEqual({ method: 'linear', weights: DEFAULT_FUSION.weights, neighbors: 0 });
  });

  it('refuses fusion outside hybrid, k for linear, and weights that are both 0, naming the field', () => {
    expect(problem(() => fusionFor('dense', { method: 'rrf' }))).toEqual(['INVALID_ARGUMENT', 'fusion']);
    expect(problem(() => fusionFor('hybrid', { method: 'linear', k: 5 }))).toEqual(['INVALID_ARGUMENT', 'fusion.k']);
    expect(problem(() => fusionFor('hybrid', { method: 'rrf', weights: { dense: 0, sparse: 0 } }))).toEqual(['INVALID_ARGUMENT', 'fusion.weights']);
  });
});

describe('withNeighbors', () => {
  const order = (...ids: string[]): Map<string, Neighbors> => new Map(ids.map((id, i) => [id, { before: ids[i - 1], after: ids[i + 1] }]));

  it('each record gains the weight times the higher fused score of its two neighbours in write order', () => {
    const { hits, boosts } = withNeighbors(lane(['q', 1], ['a', 0.5], ['z', 0.1]), order('q', 'a', 'z'), 0.6);
    expect(hits).toEqual([
      { id: 'q', score: 1 + 0.6 * 0.5 },
      { id: 'a', score: 0.5 + 0.6 * 1 },
      { id: 'z', score: 0.1 + 0.6 * 0.5 },
    ].sort((x, y) => y.score - x.score));
    expect(boosts.get('a')).toEqual({ from: 'q', boost: 0.6 });
    expect(boosts.get('z')).toEqual({ from: 'a', boost: 0.3 });
  });

  it('a neighbour no lane found joins the list on its gain alone; a record far from every candidate gains nothing', () => {
    const neighbors = new Map<string, Neighbors>([['answer-question', { before: 'greeting', after: 'answer' }]]);
    const { hits } = withNeighbors(lane(['answer-question', 0.8], ['other', 0.7]), neighbors, 0.5);
    expect(hits).toEqual([
      { id: 'answer-question', score: 0.8 },
      { id: 'other', score: 0.7 },
      { id: 'answer', score: 0.4 },
      { id: 'greeting', score: 0.4 },
    ]);
  });

  it('weight 0 leaves the fused list exactly as it was', () => {
    const fused = lane(['a', 0.9], ['b', 0.2]);
    expect(withNeighbors(fused, order('a', 'b'), 0)).toEqual({ hits: fused, boosts: new Map() });
  });
});

describe('explanations', () => {
  const noContext = { neighborsOf: async () => new Map<string, Neighbors>(), rowsOf: async () => new Map<string, HitRow>() };

  it('a fused hit carries its rank and score in each lane (null where absent), its neighbour gain and the fused score', async () => {
    const dense: HitRow[] = [row('a', 0.9), row('b', 0.2)];
    const sparse = [row('b', 7, ['carolin']), row('c', 1, ['paint'])];
    const hits = await fusedLanes(dense, sparse, { method: 'rrf', k: 10, weights: { dense: 1, sparse: 1 }, neighbors: 0 }, 10, noContext);
    expect(hits.map((h) => [h.row.id, h.explain])).toEqual([
      ['b', { dense: { rank: 2, score: 0.2 }, sparse: { rank: 1, score: 7, terms: ['carolin'] }, neighbor: null, fused: 1 / 12 + 1 / 11 }],
      ['a', { dense: { rank: 1, score: 0.9 }, sparse: null, neighbor: null, fused: 1 / 11 }],
      ['c', { dense: null, sparse: { rank: 2, score: 1, terms: ['paint'] }, neighbor: null, fused: 1 / 12 }],
    ]);
    expect(hits[0].row.score).toBe(hits[0].score);
  });

  it('a record only a neighbour brought in is read apart, cut to topK first; one deleted meanwhile is left out', async () => {
    const requested: string[][] = [];
    const context = {
      neighborsOf: async () =>
        new Map<string, Neighbors>([
          ['a', { before: 'gone', after: 'next' }],
          ['b', { before: 'far' }],
        ]),
      rowsOf: async (ids: string[]) => (requested.push(ids), new Map([['next', row('next', 0)]])),
    };
    const options = { method: 'linear', weights: { dense: 1, sparse: 0 }, neighbors: 0.5 } as const;
    const hits = await fusedLanes([row('a', 0.9), row('b', 0.1)], [], options, 3, context);
    expect(requested).toEqual([['gone', 'next']]);
    expect(hits.map((h) => [h.row.id, h.score])).toEqual([
      ['a', 1],
      ['next', 0.5],
    ]);
    expect(hits[1].explain).toEqual({ dense: null, sparse: null, neighbor: { from: 'a', boost: 0.5 }, fused: 0.5 });
  });

  it('a single lane explains only itself', () => {
    expect(singleLane('sparse', [row('x', 3, ['x'])])[0].explain).toEqual({ sparse: { rank: 1, score: 3, terms: ['x'] } });
    expect(singleLane('dense', [row('x', 0.5)])[0].explain).toEqual({ dense: { rank: 1, score: 0.5 } });
  });
});

describe('prepareDenseQuery', () => {
  it.each([
    ['When did Caroline go to the LGBTQ support group?', 'Caroline go to the LGBTQ support group'],
    ['What would Melanie be likely to paint?', 'Melanie be likely to paint'],
    ['how Is the build going', 'the build going'],
    ['Caroline moved to Sweden when?', 'Caroline moved to Sweden when'],
    ['deploy status of order-42', 'deploy status of order-42'],
    ['what?', 'what'],
    ['??', '??'],
  ])('%s → %s', (question, prepared) => {
    expect(prepareDenseQuery(question)).toBe(prepared);
  });
});
