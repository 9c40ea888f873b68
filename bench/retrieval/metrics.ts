import type { Question } from './locomo';

export const CUTOFFS = [1, 5, 10, 20] as const;
export type Cutoff = (typeof CUTOFFS)[number];
/** Every ranking is scored on its first 20 ids, whatever depth it was fetched at, so MRR means the same for all. */
export const SCORED_DEPTH = CUTOFFS[CUTOFFS.length - 1];

/** One question's figures, or the mean over many; arrays follow CUTOFFS. */
export interface Scores {
  any: number[];
  all: number[];
  recall: number[];
  mrr: number;
}

/** any@k, all@k, recall@k and reciprocal rank of the first evidence turn of one ranked list of record ids. */
export function scoreRanking(ranked: readonly string[], evidence: readonly string[]): Scores {
  const relevant = new Set(evidence);
  const top = ranked.slice(0, SCORED_DEPTH);
  const foundWithin = (k: number) => new Set(top.slice(0, k).filter((id) => relevant.has(id))).size;
  const found = CUTOFFS.map(foundWithin);
  const first = top.findIndex((id) => relevant.has(id));
  return {
    any: found.map((n) => (n > 0 ? 1 : 0)),
    all: found.map((n) => (n === relevant.size ? 1 : 0)),
    recall: found.map((n) => n / relevant.size),
    mrr: first < 0 ? 0 : 1 / (first + 1),
  };
}

export function meanScores(scores: readonly Scores[]): Scores {
  const n = Math.max(1, scores.length);
  const meanAt = (pick: (s: Scores) => number[]) => CUTOFFS.map((_, i) => scores.reduce((sum, s) => sum + pick(s)[i], 0) / n);
  return { any: meanAt((s) => s.any), all: meanAt((s) => s.all), recall: meanAt((s) => s.recall), mrr: scores.reduce((sum, s) => sum + s.mrr, 0) / n };
}

export const recallAt = (s: Scores, k: Cutoff): number => s.recall[CUTOFFS.indexOf(k)];

/** Per-question scores of rankings aligned with `questions`. */
export const scoreAll = (questions: readonly Question[], rankings: readonly (readonly string[])[]): Scores[] =>
  questions.map((q, i) => scoreRanking(rankings[i], q.evidence));

/** A named subset of the questions, by index. */
export interface Slice {
  label: string;
  members: number[];
}

/** Categories 1-4 (those present), then every question. */
export function categorySlices(questions: readonly Question[]): Slice[] {
  const categories = [...new Set(questions.map((q) => q.category))].sort((a, b) => a - b);
  const indices = questions.map((_, i) => i);
  return [
    ...categories.map((c) => ({ label: `cat ${c}`, members: indices.filter((i) => questions[i].category === c) })),
    { label: 'overall', members: indices },
  ];
}

export const meanOver = (scores: readonly Scores[], members: readonly number[]): Scores => meanScores(members.map((i) => scores[i]));
