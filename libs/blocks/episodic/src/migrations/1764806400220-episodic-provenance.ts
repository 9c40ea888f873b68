import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provenance of the event that produced each event (who wrote it, how, when, at which
 * sequence, with what trust). Rows projected before it existed hold NULL until
 * `memctl projections rebuild` restores it from the log.
 */
export class EpisodicProvenance1764806400220 implements MigrationInterface {
  name = 'EpisodicProvenance1764806400220';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE episodic_events ADD COLUMN provenance jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE episodic_events DROP COLUMN provenance`);
  }
}
