import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The audit read model: one row per event of the log, every block and tenant; the event itself stays in the log. */
@Entity('audit_log')
export class AuditLogEntry {
  @PrimaryColumn('bigint')
  seq: string;

  @Column('text')
  tenant: string;

  @Column('text')
  agent: string;

  @Column('text', { name: 'token_id', nullable: true })
  tokenId: string | null;

  @Column('text', { name: 'session_id', nullable: true })
  sessionId: string | null;

  @Column('text')
  block: string;

  @Column('text')
  ns: string;

  @Column('text')
  entity: string;

  @Column('text')
  type: string;

  @Column('text', { name: 'request_id', nullable: true })
  requestId: string | null;

  @Column('timestamptz')
  at: Date;
}
