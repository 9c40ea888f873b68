import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionEntries1763769600400 implements MigrationInterface {
  name = 'SessionEntries1763769600400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE session_entries (
      tenant text NOT NULL,
      session_id text NOT NULL,
      status text NOT NULL,
      token_hash text NOT NULL,
      parent_session_id text,
      agent text NOT NULL,
      heartbeat_interval_ms integer NOT NULL,
      heartbeat_timeout_ms integer NOT NULL,
      on_orphan text NOT NULL,
      metadata jsonb,
      opened_at timestamptz NOT NULL,
      last_heartbeat_at timestamptz NOT NULL,
      deadline_at timestamptz NOT NULL,
      last_checkpoint json,
      closed_at timestamptz,
      close_reason text,
      seq bigint NOT NULL,
      PRIMARY KEY (tenant, session_id))`);
    await q.query(`CREATE INDEX session_entries_deadline ON session_entries (deadline_at) WHERE status = 'open'`);
    await q.query(`CREATE INDEX session_entries_parent ON session_entries (tenant, parent_session_id) WHERE parent_session_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE session_entries`);
  }
}
