import { invalidArgument } from '@memsidecar/core';
import { DEFAULT_FUSION, DEFAULT_RRF_K, fuse, withNeighbors, type FusionOptions, type NeighborBoost, type Neighbors } from './fusion';
import type { FusionDto } from './semantic.dto';
import type { HitRow, SparseHitRow } from './semantic.search';

export type SearchMode = 'dense' | 'sparse' | 'hybrid';

/** Where a hit stood in one lane: its 1-based rank and the lane's own score. */
export interface LanePosition {
  rank: number;
  score: number;
}

/**
 * Why a record was recalled: each lane that ran (null where the record was not among that lane's
 * candidates), the sparse lane's matched terms, and in hybrid mode the fused score and what the
 * record gained from a neighbour in write order (null if nothing).
 */
export interface HitExplanation {
  dense?: LanePosition | null;
  sparse?: (LanePosition & { terms: string[] }) | null;
  neighbor?: NeighborBoost | null;
  fused?: number;
}

export interface RankedHit {
  row: HitRow;
  score: number;
  explain: HitExplanation;
}

/** Hybrid search's fusion: the caller's choices over the defaults. Fusion applies to hybrid only. */
export function fusionFor(mode: SearchMode, dto: FusionDto | undefined): FusionOptions {
  if (!dto) return DEFAULT_FUSION;
  if (mode !== 'hybrid') throw invalidArgument('fusion', `applies to hybrid search only, not ${mode}`);
  if (dto.weights && dto.weights.dense + dto.weights.sparse <= 0) throw invalidArgument('fusion.weights', 'must not both be 0');
  const neighbors = dto.neighbors ?? DEFAULT_FUSION.neighbors;
  if (dto.method === 'linear') {
    if (dto.k !== undefined) throw invalidArgument('fusion.k', 'applies to rrf only');
    return { method: 'linear', weights: dto.weights ?? DEFAULT_FUSION.weights, neighbors };
  }
  return { method: 'rrf', k: dto.k ?? DEFAULT_RRF_K, weights: dto.weights ?? { dense: 1, sparse: 1 }, neighbors };
}

const positions = <R extends HitRow>(lane: R[]) => new Map(lane.map((row, i) => [row.id, { row, rank: i + 1 }]));

/** One lane's hits as they come, each explained by its place in that lane. */
export function singleLane(mode: 'dense' | 'sparse', rows: HitRow[] | SparseHitRow[]): RankedHit[] {
  return rows.map((row, i) => {
    const at = { rank: i + 1, score: row.score };
    return { row, score: row.score, explain: mode === 'dense' ? { dense: at } : { sparse: { ...at, terms: (row as SparseHitRow).terms } } };
  });
}

/** Records that only a neighbour brought into the list: no lane had them, so their rows are read apart. */
export type RowsOf = (ids: string[]) => Promise<Map<string, HitRow>>;

/**
 * Both lanes fused, then the neighbours' context added; the best `topK`, each saying where it
 * stood in each lane and what a neighbour added. A hit whose record is gone by the time its row is
 * read (deleted in between) is left out.
 */
export async function fusedLanes(
  dense: HitRow[],
  sparse: SparseHitRow[],
  options: FusionOptions,
  topK: number,
  context: { neighborsOf: (ids: string[]) => Promise<Map<string, Neighbors>>; rowsOf: RowsOf },
): Promise<RankedHit[]> {
  const inDense = positions(dense);
  const inSparse = positions(sparse);
  const fused = fuse(dense, sparse, options);
  const neighbors = options.neighbors > 0 && fused.length > 0 ? await context.neighborsOf(fused.map((h) => h.id)) : new Map<string, Neighbors>();
  const { hits, boosts } = withNeighbors(fused, neighbors, options.neighbors);
  const top = hits.slice(0, topK);
  const unseen = top.filter((h) => !inDense.has(h.id) && !inSparse.has(h.id)).map((h) => h.id);
  const fetched = unseen.length > 0 ? await context.rowsOf(unseen) : new Map<string, HitRow>();
  return top.flatMap(({ id, score }) => {
    const d = inDense.get(id);
    const s = inSparse.get(id);
    const row = d?.row ?? s?.row ?? fetched.get(id);
    if (!row) return [];
    return [
      {
        row: { ...row, score },
        score,
        explain: {
          dense: d ? { rank: d.rank, score: d.row.score } : null,
          sparse: s ? { rank: s.rank, score: s.row.score, terms: s.row.terms } : null,
          neighbor: boosts.get(id) ?? null,
          fused: score,
        },
      },
    ];
  });
}
