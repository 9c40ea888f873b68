import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A record's place in its upsert, so that (seq, position) is the namespace's write order: hybrid
 * search adds context from the records written just before and after a candidate. Records written
 * before this column existed have position 0, and the id orders those of one upsert.
 */
export class SemanticWriteOrder1763769600920 implements MigrationInterface {
  name = 'SemanticWriteOrder1763769600920';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE semantic_records ADD COLUMN position integer NOT NULL DEFAULT 0`);
    await q.query(`CREATE INDEX semantic_records_write_order ON semantic_records (tenant, ns, seq, position, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX semantic_records_write_order`);
    await q.query(`ALTER TABLE semantic_records DROP COLUMN position`);
  }
}
