import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provenance of the event that produced each artifact (who wrote it, how, when, at which
 * sequence, with what trust). Rows projected before it existed hold NULL until
 * `memctl projections rebuild` restores it from the log.
 */
export class ArtifactProvenance1764806400240 implements MigrationInterface {
  name = 'ArtifactProvenance1764806400240';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE artifact_entries ADD COLUMN provenance jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE artifact_entries DROP COLUMN provenance`);
  }
}
