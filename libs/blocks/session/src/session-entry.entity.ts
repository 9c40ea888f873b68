import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The sessions read model: each session's current state, for reads, the guard and the detector. */
@Entity('session_entries')
export class SessionEntry {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text', { name: 'session_id' })
  sessionId: string;

  @Column('text')
  status: string;

  @Column('text', { name: 'token_hash' })
  tokenHash: string;

  @Column('text', { name: 'parent_session_id', nullable: true })
  parentSessionId: string | null;

  @Column('text')
  agent: string;

  @Column('integer', { name: 'heartbeat_interval_ms' })
  heartbeatIntervalMs: number;

  @Column('integer', { name: 'heartbeat_timeout_ms' })
  heartbeatTimeoutMs: number;

  @Column('text', { name: 'on_orphan' })
  onOrphan: string;

  @Column('jsonb', { nullable: true })
  metadata: Record<string, string> | null;

  @Column('timestamptz', { name: 'opened_at' })
  openedAt: Date;

  @Column('timestamptz', { name: 'last_heartbeat_at' })
  lastHeartbeatAt: Date;

  @Column('timestamptz', { name: 'deadline_at' })
  deadlineAt: Date;

  @Column('json', { name: 'last_checkpoint', nullable: true })
  lastCheckpoint: unknown;

  @Column('timestamptz', { name: 'closed_at', nullable: true })
  closedAt: Date | null;

  @Column('text', { name: 'close_reason', nullable: true })
  closeReason: string | null;

  @Column('bigint')
  seq: string;
}
