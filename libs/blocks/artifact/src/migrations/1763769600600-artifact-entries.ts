import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ArtifactEntries1763769600600 implements MigrationInterface {
  name = 'ArtifactEntries1763769600600';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE artifact_entries (
      tenant text NOT NULL,
      ns text NOT NULL,
      id text COLLATE "C" NOT NULL,
      version integer NOT NULL,
      blob text NOT NULL,
      size bigint NOT NULL,
      sha256 text NOT NULL,
      content_type text NOT NULL,
      metadata jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      seq bigint NOT NULL,
      PRIMARY KEY (tenant, ns, id))`);
    // The collector asks, for every blob it finds, whether an artifact still points at it.
    await q.query(`CREATE INDEX artifact_entries_blob ON artifact_entries (tenant, ns, blob)`);
    await q.query(`CREATE TABLE artifact_uploads (
      tenant text NOT NULL,
      ns text NOT NULL,
      uuid text NOT NULL,
      status text NOT NULL,
      expires_at timestamptz NOT NULL,
      seq bigint NOT NULL,
      PRIMARY KEY (tenant, ns, uuid))`);
    await q.query(`CREATE INDEX artifact_uploads_expires_at ON artifact_uploads (expires_at) WHERE status = 'open'`);
    await q.query(`CREATE TABLE artifact_released_blobs (
      tenant text NOT NULL,
      ns text NOT NULL,
      blob text NOT NULL,
      released_at timestamptz NOT NULL,
      PRIMARY KEY (tenant, ns, blob))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE artifact_released_blobs`);
    await q.query(`DROP TABLE artifact_uploads`);
    await q.query(`DROP TABLE artifact_entries`);
  }
}
