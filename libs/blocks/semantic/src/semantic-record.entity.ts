import type { Provenance } from '@memsidecar/core';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { MetadataValue } from './semantic.events';

/**
 * The semantic read model. `embedding` (unit-length real[]) is always there for exact search; where
 * the pgvector extension exists a `embedding_v vector` column and per-dimension HNSW indexes are
 * added by the migration (they are not declared here, so nothing ever tries to synchronise them).
 */
@Entity('semantic_records')
export class SemanticRecord {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text')
  id: string;

  @Column('integer')
  version: number;

  @Column('text', { nullable: true })
  content: string | null;

  @Column('text')
  vector: string;

  @Column('real', { array: true })
  embedding: number[];

  @Column('integer')
  dim: number;

  @Column('json')
  payload: unknown;

  @Column('jsonb')
  metadata: Record<string, MetadataValue>;

  @Column('timestamptz', { name: 'valid_from' })
  validFrom: Date;

  @Column('timestamptz', { name: 'valid_to', nullable: true })
  validTo: Date | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt: Date | null;

  @Column('bigint')
  seq: string;

  /** The record's index in the upsert of `seq`: (seq, position) is the namespace's write order. */
  @Column('integer')
  position: number;

  /** Of the upsert that wrote the current version; null on rows projected before it was kept. */
  @Column('jsonb', { nullable: true })
  provenance: Provenance | null;
}
