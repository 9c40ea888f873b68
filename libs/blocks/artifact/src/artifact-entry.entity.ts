import type { Provenance } from '@memsidecar/core';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The artifact read model: the newest version of every artifact, and the blob it points at. */
@Entity('artifact_entries')
export class ArtifactEntry {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text', { collation: 'C' })
  id: string;

  @Column('integer')
  version: number;

  @Column('text')
  blob: string;

  @Column('bigint')
  size: string;

  @Column('text')
  sha256: string;

  @Column('text', { name: 'content_type' })
  contentType: string;

  @Column('jsonb')
  metadata: Record<string, string>;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  @Column('bigint')
  seq: string;

  /** Of the write that stored this version; null on rows projected before it was kept. */
  @Column('jsonb', { nullable: true })
  provenance: Provenance | null;
}

/** Uploads in progress and how they ended: the expiry worker and the collector read it. */
@Entity('artifact_uploads')
export class ArtifactUpload {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text')
  uuid: string;

  /** 'open' | 'committed' | 'expired' */
  @Column('text')
  status: string;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  @Column('bigint')
  seq: string;
}

/** Blobs a newer version or a delete stopped referencing, and when: readers keep them a grace period. */
@Entity('artifact_released_blobs')
export class ArtifactReleasedBlob {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text')
  blob: string;

  @Column('timestamptz', { name: 'released_at' })
  releasedAt: Date;
}
