import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * No statistics for the vectors and payloads: the planner never estimates by them, and sampling
 * their wide values made every ANALYZE of the table (autovacuum's, a rebuild's) several times slower.
 */
export class SemanticWideColumnStatistics1763769600900 implements MigrationInterface {
  name = 'SemanticWideColumnStatistics1763769600900';

  async up(q: QueryRunner): Promise<void> {
    await setStatistics(q, 0);
  }

  async down(q: QueryRunner): Promise<void> {
    await setStatistics(q, -1);
  }
}

async function setStatistics(q: QueryRunner, target: number): Promise<void> {
  const columns = await q.query(
    `SELECT column_name AS name FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = 'semantic_records' AND column_name IN ('vector', 'embedding', 'embedding_v', 'payload')`,
  );
  const alterations = columns.map(({ name }: { name: string }) => `ALTER COLUMN ${name} SET STATISTICS ${target}`);
  await q.query(`ALTER TABLE semantic_records ${alterations.join(', ')}`);
}
