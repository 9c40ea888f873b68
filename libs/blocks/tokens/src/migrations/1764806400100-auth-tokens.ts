import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AuthTokens1764806400100 implements MigrationInterface {
  name = 'AuthTokens1764806400100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE auth_tokens (
      token_id text PRIMARY KEY,
      tenant text,
      agent text,
      namespaces jsonb,
      ops jsonb,
      issued_at timestamptz,
      expires_at timestamptz,
      issued_seq bigint,
      revoked_seq bigint,
      revoked_reason text)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auth_tokens`);
  }
}
