import type { Provenance } from '@memsidecar/core';
import type { Database } from '@memsidecar/projections';
import { INDEXED_DIMENSIONS } from './migrations/1763769600500-semantic-records';
import type { MetadataValue } from './semantic.events';
import { whereClause, type SearchFilter } from './search-filter';
import { decodeVector } from './vector-codec';
import { ExactIndex } from './exact-index';
import { hasVectorColumn } from './semantic.projection';
import type { Neighbors } from './fusion';

export interface HitRow {
  id: string;
  version: number;
  content: string | null;
  vector: string;
  payload: unknown;
  metadata: Record<string, MetadataValue>;
  valid_from: Date;
  valid_to: Date | null;
  provenance: Provenance | null;
  score: number;
}

/** A sparse hit also names the query terms (stemmed) it matched. */
export interface SparseHitRow extends HitRow {
  terms: string[];
}

/**
 * BM25's term-frequency saturation and length normalisation. b is below the customary 0.75:
 * memories are short and alike in length, and on the LoCoMo development split b of 0.2-0.4 beat
 * 0.75, alone and in fusion (docs/retrieval.md).
 */
export const BM25 = { k1: 1.2, b: 0.3 } as const;

/** How many writes away, on each side, a record's neighbour may be (see `neighbors`). */
export const NEIGHBOR_REACH = 64;

const COLUMNS = ['id', 'version', 'content', 'vector', 'payload', 'metadata', 'valid_from', 'valid_to', 'provenance'];

/** A lexeme as a tsquery operand: quoted, with quotes doubled and backslashes escaped. */
const QUOTED_LEXEME = `'''' || replace(replace(lexeme, E'\\\\', E'\\\\\\\\'), '''', '''''') || ''''`;

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
    const clause = whereClause(f, params);
    const add = (value: unknown) => `$${params.push(value)}`;
    const dim = query.length;
    // Only one of a few constants: the cast and the filter must match a partial HNSW index's.
    const indexed = INDEXED_DIMENSIONS.find((d) => d === dim);
    if ((await this.usesPgvector()) && indexed !== undefined) {
      const q = `${add(`[${query.join(',')}]`)}::vector(${indexed})`;
      const sql = `SELECT ${COLUMNS.join(', ')}, 1 - ((embedding_v::vector(${indexed})) <=> ${q}) AS score FROM semantic_records
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
    const byId = await this.rows(f, top.map((t) => t.id));
    return top.filter((t) => byId.has(t.id)).map((t) => ({ ...byId.get(t.id)!, score: t.score }));
  }

  /** The named records of the filter's namespace, by id, with a score of 0. */
  async rows(f: SearchFilter, ids: string[]): Promise<Map<string, HitRow>> {
    const rows = await this.db.prepared<HitRow>(`SELECT ${COLUMNS.join(', ')}, 0::float8 AS score FROM semantic_records WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [
      f.tenant,
      f.ns,
      ids,
    ]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  /**
   * Each named record's neighbours in write order, (seq, position, id), among the records the
   * filter admits: the one written just before it and the one written just after it, looked for
   * among the nearest `NEIGHBOR_REACH` writes on each side. The reach bounds the work of a filter
   * that admits few records: each probe reads at most that many index entries.
   */
  async neighbors(f: SearchFilter, ids: string[]): Promise<Map<string, Neighbors>> {
    const params: unknown[] = [];
    const clause = whereClause(f, params);
    const add = (value: unknown) => `$${params.push(value)}`;
    const reach = add(NEIGHBOR_REACH);
    const nearest = (direction: '<' | '>') => {
      const order = ['seq', 'position', 'id'].map((c) => `${c} ${direction === '<' ? 'DESC' : 'ASC'}`).join(', ');
      return `SELECT id FROM (
                SELECT id, seq, position, (${clause}) AS admitted FROM semantic_records
                WHERE tenant = $1 AND ns = $2 AND (seq, position, id) ${direction} (c.seq, c.position, c.id)
                ORDER BY ${order} LIMIT ${reach}) nearby
              WHERE admitted ORDER BY ${order} LIMIT 1`;
    };
    const rows = await this.db.query<{ id: string; before: string | null; after: string | null }>(
      `SELECT c.id, b.id AS before, a.id AS after FROM semantic_records c
       LEFT JOIN LATERAL (${nearest('<')}) b ON true
       LEFT JOIN LATERAL (${nearest('>')}) a ON true
       WHERE c.tenant = $1 AND c.ns = $2 AND c.id = ANY(${add(ids)}::text[])`,
      params,
    );
    return new Map(rows.map((r) => [r.id, { before: r.before ?? undefined, after: r.after ?? undefined }]));
  }

  /** The query's terms as the sparse lane matches them: stemmed, stop words out. */
  async queryTerms(text: string): Promise<string[]> {
    const [row] = await this.db.prepared<{ terms: string[] }>(
      `SELECT coalesce(array_agg(DISTINCT lexeme ORDER BY lexeme), '{}') AS terms FROM unnest(to_tsvector('english', $1))`,
      [text],
    );
    return row.terms;
  }

  /**
   * Okapi BM25 over the records' English full-text vectors (stemmed, stop words out), any query
   * term matching. The collection statistics (record count, mean length, document frequencies) are
   * those of the records the filter admits, computed in the same statement; a length counts
   * distinct terms. Each hit names the query terms it matched.
   */
  async sparse(f: SearchFilter, text: string, limit: number): Promise<SparseHitRow[]> {
    const params: unknown[] = [];
    const clause = whereClause(f, params);
    const add = (value: unknown) => `$${params.push(value)}`;
    const { k1, b } = BM25;
    return this.db.query<SparseHitRow>(
      `WITH query AS (
         SELECT array_agg(DISTINCT lexeme) AS terms, string_agg(DISTINCT ${QUOTED_LEXEME}, ' | ')::tsquery AS any_term
         FROM unnest(to_tsvector('english', ${add(text)}))),
       corpus AS MATERIALIZED (
         SELECT count(*)::float8 AS n, greatest(avg(length(tsv)), 1)::float8 AS avgdl FROM semantic_records WHERE ${clause}),
       matched AS (
         SELECT id, length(tsv)::float8 AS dl, u.lexeme, coalesce(array_length(u.positions, 1), 1)::float8 AS tf
         FROM semantic_records, query, unnest(tsv) u
         WHERE ${clause} AND tsv @@ query.any_term AND u.lexeme = ANY(query.terms)),
       df AS (SELECT lexeme, count(*)::float8 AS df FROM matched GROUP BY lexeme),
       scored AS (
         SELECT m.id, array_agg(m.lexeme ORDER BY m.lexeme) AS terms,
                sum(ln(1 + (c.n - df.df + 0.5) / (df.df + 0.5)) * m.tf * ${k1 + 1} / (m.tf + ${k1} * (1 - ${b} + ${b} * m.dl / c.avgdl))) AS score
         FROM matched m JOIN df USING (lexeme) CROSS JOIN corpus c
         GROUP BY m.id ORDER BY score DESC, m.id LIMIT ${add(limit)})
       SELECT ${COLUMNS.map((c) => `r.${c}`).join(', ')}, s.score, s.terms
       FROM scored s JOIN semantic_records r ON r.tenant = $1 AND r.ns = $2 AND r.id = s.id
       ORDER BY s.score DESC, r.id`,
      params,
    );
  }
}

export const vectorOf = (row: HitRow): number[] => decodeVector(row.vector);
