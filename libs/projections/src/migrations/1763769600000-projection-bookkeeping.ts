import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ProjectionBookkeeping1763769600000 implements MigrationInterface {
  name = 'ProjectionBookkeeping1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE mem_checkpoints (
      name text PRIMARY KEY,
      seq bigint NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE mem_requests (
      tenant text NOT NULL,
      request_id text NOT NULL,
      seq bigint NOT NULL,
      block text NOT NULL,
      at timestamptz NOT NULL,
      PRIMARY KEY (tenant, request_id))`);
    await q.query(`CREATE INDEX mem_requests_at ON mem_requests (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE mem_requests`);
    await q.query(`DROP TABLE mem_checkpoints`);
  }
}
