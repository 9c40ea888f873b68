import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit read model keeps the columns the filters use and leaves the events themselves in the
 * log, which holds every one of them for good: `audit.query` reads them from there by sequence.
 * Each event was stored twice before, and its body was most of what a rebuild wrote.
 *
 * Event times grow with the log, so a BRIN index finds a time range as well as a B-tree on
 * (tenant, at) did, at a fraction of its size and of its cost to build or maintain.
 */
export class AuditLogWithoutEnvelopes1763769600910 implements MigrationInterface {
  name = 'AuditLogWithoutEnvelopes1763769600910';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_log DROP COLUMN envelope`);
    await q.query(`DROP INDEX audit_log_tenant_at`);
    await q.query(`CREATE INDEX audit_log_at ON audit_log USING brin (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_log_at`);
    await q.query(`CREATE INDEX audit_log_tenant_at ON audit_log (tenant, at)`);
    await q.query(`ALTER TABLE audit_log ADD COLUMN envelope json`);
  }
}
