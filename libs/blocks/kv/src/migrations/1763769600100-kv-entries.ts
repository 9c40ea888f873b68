import type { MigrationInterface, QueryRunner } from 'typeorm';

export class KvEntries1763769600100 implements MigrationInterface {
  name = 'KvEntries1763769600100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE kv_entries (
      tenant text NOT NULL,
      ns text NOT NULL,
      key text COLLATE "C" NOT NULL,
      value json NOT NULL,
      version integer NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      expires_at timestamptz,
      metadata jsonb,
      seq bigint NOT NULL,
      PRIMARY KEY (tenant, ns, key))`);
    await q.query(`CREATE INDEX kv_entries_expires_at ON kv_entries (expires_at) WHERE expires_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kv_entries`);
  }
}
