import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provenance of the event that produced each fact (who wrote it, how, when, at which
 * sequence, with what trust). Rows projected before it existed hold NULL until
 * `memctl projections rebuild` restores it from the log.
 */
export class FactsProvenance1764806400250 implements MigrationInterface {
  name = 'FactsProvenance1764806400250';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE fact_entries ADD COLUMN provenance jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE fact_entries DROP COLUMN provenance`);
  }
}
