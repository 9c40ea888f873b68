import { invalidArgument } from '@memsidecar/core';
import type { Database } from '@memsidecar/projections';
import { INDEXED_DIMENSIONS } from './migrations/1763769600500-semantic-records';
import type { PredicateDto } from './semantic.dto';
import { decodeVector } from './vector-codec';
import { ExactIndex } from './exact-index';
import { hasVectorColumn } from './semantic.projection';

export interface SearchFilter {
  tenant: string;
  ns: string;
  filter?: Record<string, string>;
  predicates?: PredicateDto[];
  createdAfter?: Date;
  createdBefore?: Date;
  /** Validity is judged at this time; null disables the lifecycle filter (includeInvalidated). */
  validAt: Date | null;
  /** True for the present (`asOf` absent): soft-deleted records are out whenever they were deleted. */
  present: boolean;
}

export interface HitRow {
  id: string;
  version: number;
  content: string | null;
  vector: string;
  payload: unknown;
  metadata: Record<string, string>;
  valid_from: Date;
  valid_to: Date | null;
  score: number;
}

const NUMERIC = `'^\\s*-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*$'`;
const COLUMNS = 'id, version, content, vector, payload, metadata, valid_from, valid_to';

/** Builds the shared WHERE clause; numeric comparisons on non-numeric values simply do not match. */
function where(f: SearchFilter, params: unknown[]): string {
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const parts = [`tenant = ${add(f.tenant)}`, `ns = ${add(f.ns)}`];
  if (f.filter && Object.keys(f.filter).length) parts.push(`metadata @> ${add(JSON.stringify(f.filter))}::jsonb`);
  (f.predicates ?? []).forEach((p, i) => parts.push(predicateSql(p, i, add)));
  if (f.createdAfter) parts.push(`created_at > ${add(f.createdAfter)}`);
  if (f.createdBefore) parts.push(`created_at < ${add(f.createdBefore)}`);
  if (f.validAt) {
    const t = add(f.validAt);
    parts.push(f.present ? 'deleted_at IS NULL' : `(deleted_at IS NULL OR deleted_at > ${t})`);
    parts.push(`valid_from <= ${t} AND (valid_to IS NULL OR valid_to > ${t})`);
  }
  return parts.join(' AND ');
}

function predicateSql(p: PredicateDto, i: number, add: (v: unknown) => string): string {
  const field = add(p.field);
  const value = `metadata->>${field}`;
  const bad = (problem: string) => invalidArgument(`predicates[${i}].value`, problem);
  switch (p.op) {
    case 'eq':
    case 'neq': {
      if (!['string', 'number', 'boolean'].includes(typeof p.value)) throw bad(`must be a string, number or boolean for ${p.op}`);
      return `${value} ${p.op === 'eq' ? '=' : '<>'} ${add(String(p.value))}`;
    }
    case 'in': {
      if (!Array.isArray(p.value) || p.value.length === 0 || p.value.length > 100 || !p.value.every((v) => ['string', 'number'].includes(typeof v))) {
        throw bad('must be a list of 1-100 strings or numbers for in');
      }
      return `${value} = ANY(${add(p.value.map(String))}::text[])`;
    }
    default: {
      if (typeof p.value !== 'number' || !Number.isFinite(p.value)) throw bad(`must be a finite number for ${p.op}`);
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[p.op];
      return `(CASE WHEN ${value} ~ ${NUMERIC} THEN (${value})::double precision END) ${op} ${add(p.value)}`;
    }
  }
}

/** Dense and full-text search over the read model; pgvector's HNSW where present, else an exact scan. */
export class SemanticSearch {
  private pgvector: Promise<boolean> | null = null;
  private readonly exact: ExactIndex;

  constructor(private readonly db: Database) {
    this.exact = new ExactIndex(db);
  }

  /** Whether the read model has pgvector's column (decided by the migration). */
  usesPgvector(): Promise<boolean> {
    this.pgvector ??= hasVectorColumn(this.db);
    return this.pgvector;
  }

  async namespace(tenant: string, ns: string): Promise<{ embedder: string; dimension: number } | null> {
    const rows = await this.db.prepared<{ embedder: string; dimension: number }>(`SELECT embedder, dimension FROM semantic_namespaces WHERE tenant = $1 AND ns = $2`, [tenant, ns]);
    return rows[0] ?? null;
  }

  /**
   * Cosine similarity, best first; `query` must be unit length. The texts depend on the filter's
   * shape (unnamed statements); every value is a parameter but the pgvector path's dimension.
   */
  async dense(f: SearchFilter, query: number[], limit: number): Promise<HitRow[]> {
    const params: unknown[] = [];
    const clause = where(f, params);
    const add = (value: unknown) => `$${params.push(value)}`;
    const dim = query.length;
    // Only one of a few constants: the cast and the filter must match a partial HNSW index's.
    const indexed = INDEXED_DIMENSIONS.find((d) => d === dim);
    if ((await this.usesPgvector()) && indexed !== undefined) {
      const q = `${add(`[${query.join(',')}]`)}::vector(${indexed})`;
      const sql = `SELECT ${COLUMNS}, 1 - ((embedding_v::vector(${indexed})) <=> ${q}) AS score FROM semantic_records
                   WHERE ${clause} AND dim = ${indexed} ORDER BY (embedding_v::vector(${indexed})) <=> ${q} LIMIT ${add(limit)}`;
      const rows = await this.db.transaction(async (tx) => {
        // Filtered HNSW scans keep looking until enough rows pass the filter.
        await tx.query(`SET LOCAL hnsw.iterative_scan = relaxed_order`);
        await tx.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.min(1000, Math.max(200, limit * 4)))]);
        return tx.query<HitRow>(sql, params);
      });
      return rows.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    }
    const candidates = await this.db.query<{ id: string; version: number }>(`SELECT id, version FROM semantic_records WHERE ${clause} AND dim = ${add(dim)}`, params);
    const top = await this.exact.top(f, candidates, query, limit);
    if (top.length === 0) return [];
    const rows = await this.db.prepared<Omit<HitRow, 'score'>>(`SELECT ${COLUMNS} FROM semantic_records WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [
      f.tenant,
      f.ns,
      top.map((t) => t.id),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return top.filter((t) => byId.has(t.id)).map((t) => ({ ...byId.get(t.id)!, score: t.score }));
  }

  /** Postgres full-text rank of `text` (web-search syntax), best first. */
  async sparse(f: SearchFilter, text: string, limit: number): Promise<HitRow[]> {
    const params: unknown[] = [];
    const clause = where(f, params);
    const q = `$${params.push(text)}`;
    const top = `$${params.push(limit)}`;
    return this.db.query<HitRow>(
      `SELECT ${COLUMNS}, ts_rank(tsv, q) AS score FROM semantic_records, websearch_to_tsquery('english', ${q}) q
       WHERE ${clause} AND tsv @@ q ORDER BY score DESC, id LIMIT ${top}`,
      params,
    );
  }
}

/** Reciprocal-rank fusion (k = 60) of two ranked lists; ties broken by id. */
export function reciprocalRankFusion(lanes: HitRow[][], k = 60): HitRow[] {
  const fused = new Map<string, HitRow>();
  for (const lane of lanes) {
    lane.forEach((row, rank) => {
      const previous = fused.get(row.id);
      fused.set(row.id, { ...row, score: (previous?.score ?? 0) + 1 / (k + rank + 1) });
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

export const vectorOf = (row: HitRow): number[] => decodeVector(row.vector);
