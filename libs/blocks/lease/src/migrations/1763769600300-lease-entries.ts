import type { MigrationInterface, QueryRunner } from 'typeorm';

export class LeaseEntries1763769600300 implements MigrationInterface {
  name = 'LeaseEntries1763769600300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE lease_entries (
      tenant text NOT NULL,
      ns text NOT NULL,
      key text COLLATE "C" NOT NULL,
      holder_id text NOT NULL,
      holder text,
      fencing_token bigint NOT NULL,
      acquired_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      ttl_ms integer NOT NULL,
      metadata jsonb,
      session_id text,
      status text NOT NULL,
      seq bigint NOT NULL,
      PRIMARY KEY (tenant, ns, key))`);
    // Releasing a session's leases, and the expiry sweep, only ever look at held leases.
    await q.query(`CREATE INDEX lease_entries_session ON lease_entries (tenant, session_id) WHERE status = 'held'`);
    await q.query(`CREATE INDEX lease_entries_expires_at ON lease_entries (expires_at) WHERE status = 'held'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE lease_entries`);
  }
}
