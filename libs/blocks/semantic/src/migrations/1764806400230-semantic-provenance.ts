import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provenance of the event that produced each record (who wrote it, how, when, at which
 * sequence, with what trust). Rows projected before it existed hold NULL until
 * `memctl projections rebuild` restores it from the log.
 */
export class SemanticProvenance1764806400230 implements MigrationInterface {
  name = 'SemanticProvenance1764806400230';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE semantic_records ADD COLUMN provenance jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE semantic_records DROP COLUMN provenance`);
  }
}
