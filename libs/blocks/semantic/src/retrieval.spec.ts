import { describe, expect, it } from 'vitest';
import { isMemError } from '@memsidecar/core';
import { DEFAULT_FUSION, DEFAULT_RRF_K, fuse } from './fusion';
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
    expect(fusionFor('hybrid', { method: 'rrf' })).toEqual({ method: 'rrf', k: DEFAULT_RRF_K, weights: { dense: 1, sparse: 1 } });
    expect(fusionFor('hybrid', { method: 'linear', weights: { dense: 1, sparse: 0 } })).toEqual({ method: 'linear', weights: { dense: 1, sparse: 0 } });
  });

  it('refuses fusion outside hybrid, k for linear, and weights that are both 0, naming the field', () => {
    expect(problem(() => fusionFor('dense', { method: 'rrf' }))).toEqual(['INVALID_ARGUMENT', 'fusion']);
    expect(problem(() => fusionFor('hybrid', { method: 'linear', k: 5 }))).toEqual(['INVALID_ARGUMENT', 'fusion.k']);
    expect(problem(() => fusionFor('hybrid', { method: 'rrf', weights: { dense: 0, sparse: 0 } }))).toEqual(['INVALID_ARGUMENT', 'fusion.weights']);
  });
});

describe('explanations', () => {
  it('a fused hit carries its rank and score in each lane (null where absent) and the fused score', () => {
    const dense: HitRow[] = [row('a', 0.9), row('b', 0.2)];
    const sparse = [row('b', 7, ['carolin']), row('c', 1, ['paint'])];
    const hits = fusedLanes(dense, sparse, { method: 'rrf', k: 10, weights: { dense: 1, sparse: 1 } });
    expect(hits.map((h) => [h.row.id, h.explain])).toEqual([
      ['b', { dense: { rank: 2, score: 0.2 }, sparse: { rank: 1, score: 7, terms: ['carolin'] }, fused: 1 / 12 + 1 / 11 }],
      ['a', { dense: { rank: 1, score: 0.9 }, sparse: null, fused: 1 / 11 }],
      ['c', { dense: null, sparse: { rank: 2, score: 1, terms: ['paint'] }, fused: 1 / 12 }],
    ]);
    expect(hits[0].row.score).toBe(hits[0].score);
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
