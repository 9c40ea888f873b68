import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The lease read model: the newest state of every lease key, one row per key. */
@Entity('lease_entries')
export class LeaseEntry {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text', { collation: 'C' })
  key: string;

  @Column('text', { name: 'holder_id' })
  holderId: string;

  @Column('text', { nullable: true })
  holder: string | null;

  @Column('bigint', { name: 'fencing_token' })
  fencingToken: string;

  @Column('timestamptz', { name: 'acquired_at' })
  acquiredAt: Date;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt: Date;

  @Column('integer', { name: 'ttl_ms' })
  ttlMs: number;

  @Column('jsonb', { nullable: true })
  metadata: Record<string, string> | null;

  @Column('text', { name: 'session_id', nullable: true })
  sessionId: string | null;

  /** 'held' | 'released' | 'expired'; a held row past expires_at is expired but not yet recorded. */
  @Column('text')
  status: string;

  @Column('bigint')
  seq: string;
}
