import { connect, type NatsConnection } from '@nats-io/transport-node';
import { openSealedEventStore, type EventStore, type SubjectKeys } from '@memsidecar/event-store';
import { AppliedRequest, Database, BOOKKEEPING_MIGRATIONS, ProjectionCheckpoint, SubjectErasure, type ReadModels } from '@memsidecar/projections';
import { startTestNats, type TestNats } from './nats';
import { createTestDatabase, type TestDatabase } from './postgres';

export interface IntegrationInfra {
  nats: TestNats;
  nc: NatsConnection;
  store: EventStore;
  /** The data keys the store seals payloads with. */
  keys: SubjectKeys;
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
  const { store, keys } = await openSealedEventStore(nc, { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 });
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
    keys,
    db,
    async close() {
      await keys.close();
      await db.close();
      await pg?.drop();
      await nc.close();
      await nats.stop();
    },
  };
}

/** The erasure of an integration spec's read models, over its log and keys. */
export const integrationErasure = (infra: IntegrationInfra, readModels: ReadModels): SubjectErasure =>
  new SubjectErasure({ store: infra.store, keys: infra.keys, db: infra.db, readModels, projections: readModels.runners.map((r) => r.projection), waitMs: 5_000 });
