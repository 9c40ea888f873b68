import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Facts1763769600700 implements MigrationInterface {
  name = 'Facts1763769600700';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE fact_entries (
      tenant text NOT NULL,
      ns text NOT NULL,
      id text NOT NULL,
      type text NOT NULL,
      target text NOT NULL,
      content text NOT NULL,
      scope_id text,
      status text NOT NULL,
      cold_reason text,
      hash text NOT NULL,
      turn integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      last_accessed_at timestamptz,
      access_count integer NOT NULL DEFAULT 0,
      superseded_by text,
      seq bigint NOT NULL,
      tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', target || ' ' || content)) STORED,
      PRIMARY KEY (tenant, ns, id))`);
    await q.query(`CREATE INDEX fact_entries_status ON fact_entries (tenant, ns, status)`);
    // What the gauge counts and what is hot are small sets inside a large store: index just those.
    await q.query(`CREATE INDEX fact_entries_counted ON fact_entries (tenant, ns) WHERE status = 'active' OR (status = 'cold' AND cold_reason = 'scope')`);
    await q.query(`CREATE INDEX fact_entries_hash ON fact_entries (tenant, ns, hash)`);
    await q.query(`CREATE INDEX fact_entries_scope ON fact_entries (tenant, ns, scope_id)`);
    await q.query(`CREATE INDEX fact_entries_tsv ON fact_entries USING gin (tsv)`);
    await q.query(`CREATE TABLE fact_scopes (
      tenant text NOT NULL,
      ns text NOT NULL,
      id text NOT NULL,
      label text NOT NULL,
      status text NOT NULL,
      current_turn integer NOT NULL,
      closed_at timestamptz,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (tenant, ns, id))`);
    await q.query(`CREATE INDEX fact_scopes_label ON fact_scopes (tenant, ns, label)`);
    await q.query(`CREATE TABLE fact_sessions (
      tenant text NOT NULL,
      ns text NOT NULL,
      session_id text NOT NULL,
      last_turn integer NOT NULL,
      active_scope_id text,
      PRIMARY KEY (tenant, ns, session_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fact_sessions`);
    await q.query(`DROP TABLE fact_scopes`);
    await q.query(`DROP TABLE fact_entries`);
  }
}
