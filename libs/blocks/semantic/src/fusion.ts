/** One lane's candidate: an id and the lane's own score (cosine for dense, BM25 for sparse). */
export interface LaneHit {
  id: string;
  score: number;
}

export interface FusionWeights {
  dense: number;
  sparse: number;
}

/**
 * How hybrid search merges its lanes. `linear`: each lane's scores min-max normalised over its
 * candidates, then mixed by `weights` (a record missing from a lane gets 0 there). `rrf`: the sum
 * of weight / (k + rank) over the lanes a record appears in. Then, with both methods, each record
 * gains `neighbors` times the higher fused score of its two neighbours in write order (see
 * `withNeighbors`); 0 turns that off.
 */
export type FusionOptions = LaneFusion & { neighbors: number };

/** How the two lanes' scores merge into one, before any context from neighbours. */
export type LaneFusion = { method: 'linear'; weights: FusionWeights } | { method: 'rrf'; k: number; weights: FusionWeights };

/**
 * Chosen on the LoCoMo development split by leave-one-conversation-out (docs/retrieval.md): every
 * fold chose a neighbour weight of 0.6 and four of five a dense weight of 0.35 (71.8% recall@10
 * pooled held out; 67.4% with the same weights and no neighbours). Without neighbours the linear
 * mix beat RRF held out (68.1% against 66.3%); RRF's folds chose k 1-10, far below the customary 60.
 */
export const DEFAULT_LINEAR_WEIGHTS: FusionWeights = { dense: 0.35, sparse: 0.65 };
export const DEFAULT_NEIGHBOR_WEIGHT = 0.6;
export const DEFAULT_RRF_K = 10;
export const DEFAULT_FUSION: FusionOptions = { method: 'linear', weights: DEFAULT_LINEAR_WEIGHTS, neighbors: DEFAULT_NEIGHBOR_WEIGHT };

/** A record's neighbours in write order: the records of the same search written just before and just after it. */
export interface Neighbors {
  before?: string;
  after?: string;
}

/** What a record gained from a neighbour: which one, and how much was added to its fused score. */
export interface NeighborBoost {
  from: string;
  boost: number;
}

const byScoreThenId = (a: LaneHit, b: LaneHit): number => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The fused list, best first; ties broken by id so that equal inputs give equal outputs. */
export function fuse(dense: LaneHit[], sparse: LaneHit[], options: LaneFusion): LaneHit[] {
  const fused = new Map<string, number>();
  const add = (id: string, value: number) => fused.set(id, (fused.get(id) ?? 0) + value);
  const lanes: [LaneHit[], number][] = [
    [dense, options.weights.dense],
    [sparse, options.weights.sparse],
  ];
  for (const [lane, weight] of lanes) {
    if (options.method === 'rrf') {
      lane.forEach((hit, rank) => add(hit.id, weight / (options.k + rank + 1)));
      continue;
    }
    const scores = lane.map((h) => h.score);
    const min = Math.min(...scores);
    const span = Math.max(...scores) - min;
    for (const hit of lane) add(hit.id, weight * (span > 0 ? (hit.score - min) / span : 1));
  }
  return [...fused].map(([id, score]) => ({ id, score })).sort(byScoreThenId);
}

/**
 * Context from write order: memories written one after another (the turns of a conversation, the
 * steps of a task) explain each other, and the record holding an answer is often the one next to
 * the record that matches the question's words. Each record gains `weight` times the higher fused
 * score of its two neighbours; a neighbour of a candidate that no lane found joins the list with that
 * gain alone. `neighbors` must cover every fused id (a missing entry has no neighbours).
 */
export function withNeighbors(fused: readonly LaneHit[], neighbors: ReadonlyMap<string, Neighbors>, weight: number): { hits: LaneHit[]; boosts: Map<string, NeighborBoost> } {
  const boosts = new Map<string, NeighborBoost>();
  if (weight <= 0) return { hits: [...fused], boosts };
  const own = new Map(fused.map((h) => [h.id, h.score]));
  const offer = (to: string | undefined, from: string, score: number) => {
    if (to === undefined || score <= 0) return;
    const boost = weight * score;
    if (boost > (boosts.get(to)?.boost ?? 0)) boosts.set(to, { from, boost });
  };
  for (const { id, score } of fused) {
    const around = neighbors.get(id);
    offer(around?.before, id, score);
    offer(around?.after, id, score);
  }
  const ids = new Set([...own.keys(), ...boosts.keys()]);
  const hits = [...ids].map((id) => ({ id, score: (own.get(id) ?? 0) + (boosts.get(id)?.boost ?? 0) }));
  return { hits: hits.sort(byScoreThenId), boosts };
}
