import type { MigrationInterface, QueryRunner } from 'typeorm';

export class EpisodicEvents1763769600200 implements MigrationInterface {
  name = 'EpisodicEvents1763769600200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE episodic_events (
      tenant text NOT NULL,
      ns text NOT NULL,
      cursor bigint NOT NULL,
      id text NOT NULL,
      type text NOT NULL,
      payload json NOT NULL,
      role text,
      session_id text,
      metadata jsonb,
      dedup_key text,
      supersedes jsonb NOT NULL DEFAULT '[]',
      created_at timestamptz NOT NULL,
      deleted_at timestamptz,
      deleted_reason text,
      seq bigint NOT NULL,
      PRIMARY KEY (tenant, ns, cursor))`);
    await q.query(`CREATE UNIQUE INDEX episodic_events_id ON episodic_events (tenant, ns, id)`);
    await q.query(`CREATE UNIQUE INDEX episodic_events_dedup ON episodic_events (tenant, ns, dedup_key) WHERE dedup_key IS NOT NULL`);
    await q.query(`CREATE INDEX episodic_events_created ON episodic_events (tenant, ns, created_at, cursor)`);
    await q.query(`CREATE INDEX episodic_events_session ON episodic_events (tenant, ns, session_id, cursor) WHERE session_id IS NOT NULL`);
    await q.query(`CREATE INDEX episodic_events_type ON episodic_events (tenant, ns, type, cursor)`);
    await q.query(`CREATE INDEX episodic_events_role ON episodic_events (tenant, ns, role, cursor) WHERE role IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE episodic_events`);
  }
}
