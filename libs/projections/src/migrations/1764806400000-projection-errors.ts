import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Events a read model could not apply after its retries, parked until an operator retries or skips them. */
export class ProjectionErrors1764806400000 implements MigrationInterface {
  name = 'ProjectionErrors1764806400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE mem_projection_errors (
      name text NOT NULL,
      seq bigint NOT NULL,
      event_id text NOT NULL,
      event_type text NOT NULL,
      error text NOT NULL,
      attempts integer NOT NULL,
      status text NOT NULL,
      first_failed_at timestamptz NOT NULL DEFAULT now(),
      last_failed_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      PRIMARY KEY (name, seq))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mem_projection_errors`);
  }
}
