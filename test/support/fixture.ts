import { afterAll, beforeAll } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import {
  NatsTestClient,
  RunningService,
  createTestDatabase,
  readLog,
  startTestNats,
  type TestDatabase,
  type TestNats,
} from '@memsidecar/testing';

export type DatabaseKind = 'postgres' | 'pglite';

export interface ServiceFixture {
  nats: TestNats;
  pg?: TestDatabase;
  service: RunningService;
  /** A client with the service's admin token. */
  client: NatsTestClient;
  /** Every event on the log matching `filter`, oldest first. */
  logOf(filter: string): Promise<StoredEvent[]>;
}

/**
 * For one describe block: a fresh nats-server, a fresh database of `kind` and the service on them,
 * with an admin client; all torn down after the block.
 */
export function serviceFixture(kind: DatabaseKind, env: Record<string, string> = {}): ServiceFixture {
  const fixture = {} as ServiceFixture;
  beforeAll(async () => {
    fixture.nats = await startTestNats();
    fixture.pg = kind === 'postgres' ? await createTestDatabase() : undefined;
    fixture.service = await RunningService.start({ natsUrl: fixture.nats.url, databaseUrl: fixture.pg?.url, env });
    fixture.client = await NatsTestClient.connect(fixture.nats.url, fixture.service.adminToken());
    fixture.logOf = (filter) => readLog(fixture.client, filter);
  });
  afterAll(async () => {
    await fixture.client?.close();
    await fixture.service?.stop();
    await fixture.pg?.drop();
    await fixture.nats?.stop();
  });
  return fixture;
}
