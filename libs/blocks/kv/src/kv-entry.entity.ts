import type { Provenance } from '@memsidecar/core';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The kv read model: the live state of every key, one row per key. */
@Entity('kv_entries')
export class KvEntry {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text', { collation: 'C' })
  key: string;

  @Column('json')
  value: unknown;

  @Column('integer')
  version: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt: Date | null;

  @Column('jsonb', { nullable: true })
  metadata: Record<string, string> | null;

  @Column('bigint')
  seq: string;

  /** Of the event that set the value; null on rows projected before it was kept. */
  @Column('jsonb', { nullable: true })
  provenance: Provenance | null;
}
