import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Which event a `Mem-Request-Id` produced, so a retry after JetStream's window gets the original. */
@Entity('mem_requests')
export class AppliedRequest {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text', { name: 'request_id' })
  requestId: string;

  @Column('bigint')
  seq: string;

  @Column('text')
  block: string;

  @Column('timestamptz')
  at: Date;
}
