import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The graph read model: nodes and edges per namespace. Edges are found from either end (the walk
 * goes out, in or both ways, filtered by type); nodes by label. Ids sort in byte order ("C"), the
 * order replies list them in on every server.
 */
export class Graph1764806400300 implements MigrationInterface {
  name = 'Graph1764806400300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE graph_nodes (
      tenant text NOT NULL,
      ns text NOT NULL,
      id text COLLATE "C" NOT NULL,
      labels text[] NOT NULL DEFAULT '{}',
      props jsonb NOT NULL DEFAULT '{}',
      version integer NOT NULL,
      seq bigint NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      provenance jsonb NOT NULL,
      PRIMARY KEY (tenant, ns, id))`);
    await q.query(`CREATE TABLE graph_edges (
      tenant text NOT NULL,
      ns text NOT NULL,
      id text COLLATE "C" NOT NULL,
      type text NOT NULL,
      from_id text COLLATE "C" NOT NULL,
      to_id text COLLATE "C" NOT NULL,
      props jsonb NOT NULL DEFAULT '{}',
      valid_from timestamptz NOT NULL,
      valid_to timestamptz,
      supersedes text COLLATE "C",
      version integer NOT NULL,
      seq bigint NOT NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      provenance jsonb NOT NULL,
      PRIMARY KEY (tenant, ns, id))`);
    await q.query(`CREATE INDEX graph_edges_from ON graph_edges (tenant, ns, from_id, type)`);
    await q.query(`CREATE INDEX graph_edges_to ON graph_edges (tenant, ns, to_id, type)`);
    await q.query(`CREATE INDEX graph_nodes_labels ON graph_nodes USING gin (labels)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE graph_edges`);
    await q.query(`DROP TABLE graph_nodes`);
  }
}
