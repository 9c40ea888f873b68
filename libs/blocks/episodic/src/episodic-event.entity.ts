import type { Provenance } from '@memsidecar/core';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The episodic read model: one row per appended event, hidden (deleted_at) or removed by expiry. */
@Entity('episodic_events')
export class EpisodicEventRow {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('bigint')
  cursor: string;

  @Column('text')
  id: string;

  @Column('text')
  type: string;

  @Column('json')
  payload: unknown;

  @Column('text', { nullable: true })
  role: string | null;

  @Column('text', { name: 'session_id', nullable: true })
  sessionId: string | null;

  @Column('jsonb', { nullable: true })
  metadata: Record<string, string> | null;

  @Column('text', { name: 'dedup_key', nullable: true })
  dedupKey: string | null;

  @Column('jsonb')
  supersedes: string[];

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt: Date | null;

  @Column('text', { name: 'deleted_reason', nullable: true })
  deletedReason: string | null;

  @Column('bigint')
  seq: string;

  /** Of the append that wrote it; null on rows projected before it was kept. */
  @Column('jsonb', { nullable: true })
  provenance: Provenance | null;
}
