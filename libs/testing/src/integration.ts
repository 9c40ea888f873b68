import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EventStore } from '@memsidecar/event-store';
import { AppliedRequest, Database, BOOKKEEPING_MIGRATIONS, ProjectionCheckpoint } from '@memsidecar/projections';
import { startTestNats, type TestNats } from './nats';
import { createTestDatabase, type TestDatabase } from './postgres';

export interface IntegrationInfra {
  nats: TestNats;
  nc: NatsConnection;
  store: EventStore;
  db: Database;
  close(): Promise<void>;
}

/**
 * For integration specs: a fresh nats-server with the log's stream, and a fresh database (system
 * Postgres or in-memory PGlite) migrated for the bookkeeping tables plus the given read models.
 */
export async function openIntegrationInfra(kind: 'postgres' | 'pglite', readModels: { entities: Function[]; migrations: Function[] }): Promise<IntegrationInfra> {
  const nats = await startTestNats();
  const nc = await connect({ servers: nats.url });
  const store = await EventStore.open(nc, { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 });
  const pg: TestDatabase | undefined = kind === 'postgres' ? await createTestDatabase() : undefined;
  const db = await Database.open({
    url: pg?.url,
    pgliteDir: 'memory://',
    entities: [ProjectionCheckpoint, AppliedRequest, ...readModels.entities],
    migrations: [...BOOKKEEPING_MIGRATIONS, ...readModels.migrations],
  });
  return {
    nats,
    nc,
    store,
    db,
    async close() {
      await db.close();
      await pg?.drop();
      await nc.close();
      await nats.stop();
    },
  };
}
