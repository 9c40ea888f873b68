import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Dimensions that get an HNSW index where pgvector exists; other dimensions are searched exactly. */
export const INDEXED_DIMENSIONS = [384, 512, 768, 1024, 1536];

export class SemanticRecords1763769600500 implements MigrationInterface {
  name = 'SemanticRecords1763769600500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE semantic_records (
      tenant text NOT NULL,
      ns text NOT NULL,
      id text NOT NULL,
      version integer NOT NULL,
      content text,
      vector text NOT NULL,
      embedding real[] NOT NULL,
      dim integer NOT NULL,
      payload json NOT NULL,
      metadata jsonb NOT NULL DEFAULT '{}',
      valid_from timestamptz NOT NULL,
      valid_to timestamptz,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      deleted_at timestamptz,
      seq bigint NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', coalesce(content, ''))) STORED,
      PRIMARY KEY (tenant, ns, id))`);
    await q.query(`CREATE TABLE semantic_namespaces (
      tenant text NOT NULL,
      ns text NOT NULL,
      embedder text NOT NULL,
      dimension integer NOT NULL,
      PRIMARY KEY (tenant, ns))`);
    await q.query(`CREATE INDEX semantic_records_metadata ON semantic_records USING gin (metadata jsonb_path_ops)`);
    await q.query(`CREATE INDEX semantic_records_tsv ON semantic_records USING gin (tsv)`);
    await q.query(`CREATE INDEX semantic_records_created ON semantic_records (tenant, ns, created_at)`);
    const [{ available }] = await q.query(`SELECT count(*) > 0 AS available FROM pg_available_extensions WHERE name = 'vector'`);
    if (!available) return;
    await q.query(`CREATE EXTENSION IF NOT EXISTS vector`);
    await q.query(`ALTER TABLE semantic_records ADD COLUMN embedding_v vector`);
    for (const d of INDEXED_DIMENSIONS) {
      await q.query(`CREATE INDEX semantic_records_hnsw_${d} ON semantic_records USING hnsw ((embedding_v::vector(${d})) vector_cosine_ops) WHERE dim = ${d}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE semantic_records`);
    await q.query(`DROP TABLE semantic_namespaces`);
  }
}
