import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditLog1763769600800 implements MigrationInterface {
  name = 'AuditLog1763769600800';

  async up(q: QueryRunner): Promise<void> {
    // `envelope` is json, not jsonb: it keeps the event exactly as the log holds it, key order included.
    await q.query(`CREATE TABLE audit_log (
      seq bigint PRIMARY KEY,
      tenant text NOT NULL,
      agent text NOT NULL,
      token_id text,
      session_id text,
      block text NOT NULL,
      ns text NOT NULL,
      entity text NOT NULL,
      type text NOT NULL,
      request_id text,
      at timestamptz NOT NULL,
      envelope json NOT NULL)`);
    await q.query(`CREATE INDEX audit_log_tenant_seq ON audit_log (tenant, seq)`);
    await q.query(`CREATE INDEX audit_log_tenant_agent_seq ON audit_log (tenant, agent, seq)`);
    await q.query(`CREATE INDEX audit_log_tenant_session_seq ON audit_log (tenant, session_id, seq) WHERE session_id IS NOT NULL`);
    // ns leads: a token scoped to namespaces must name one, so ns alone is the common filter; a
    // block alone matches enough events to be found walking (tenant, seq).
    await q.query(`CREATE INDEX audit_log_tenant_ns_block_seq ON audit_log (tenant, ns, block, seq)`);
    await q.query(`CREATE INDEX audit_log_tenant_at ON audit_log (tenant, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
  }
}
