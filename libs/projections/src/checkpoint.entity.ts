import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far one read model has applied the log; written in the same transaction as its rows. */
@Entity('mem_checkpoints')
export class ProjectionCheckpoint {
  @PrimaryColumn('text')
  name: string;

  @Column('bigint')
  seq: string;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;
}
