import type { Provenance } from '@memsidecar/core';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Props } from './graph.events';

/** A node of a namespace's graph; it exists until deleted (nodes have no validity). */
@Entity('graph_nodes')
export class GraphNodeRow {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text')
  id: string;

  @Column('text', { array: true })
  labels: string[];

  @Column('jsonb')
  props: Props;

  @Column('integer')
  version: number;

  /** The event that wrote the current version. */
  @Column('bigint')
  seq: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  @Column('jsonb')
  provenance: Provenance;
}

/** An edge between two nodes, followed while valid (`valid_from` <= t < `valid_to`). */
@Entity('graph_edges')
export class GraphEdgeRow {
  @PrimaryColumn('text')
  tenant: string;

  @PrimaryColumn('text')
  ns: string;

  @PrimaryColumn('text')
  id: string;

  @Column('text')
  type: string;

  @Column('text', { name: 'from_id' })
  fromId: string;

  @Column('text', { name: 'to_id' })
  toId: string;

  @Column('jsonb')
  props: Props;

  @Column('timestamptz', { name: 'valid_from' })
  validFrom: Date;

  @Column('timestamptz', { name: 'valid_to', nullable: true })
  validTo: Date | null;

  @Column('text', { nullable: true })
  supersedes: string | null;

  @Column('integer')
  version: number;

  @Column('bigint')
  seq: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt: Date;

  @Column('jsonb')
  provenance: Provenance;
}
