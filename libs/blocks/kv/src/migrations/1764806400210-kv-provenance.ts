import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The provenance of the event that produced each key (who wrote it, how, when, at which
 * sequence, with what trust). Rows projected before it existed hold NULL until
 * `memctl projections rebuild` restores it from the log.
 */
export class KvProvenance1764806400210 implements MigrationInterface {
  name = 'KvProvenance1764806400210';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kv_entries ADD COLUMN provenance jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kv_entries DROP COLUMN provenance`);
  }
}
