import { afterAll, beforeAll } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { EventStore } from '@memsidecar/event-store';
import { NatsTestClient } from './client';
import { startTestNats, type TestNats } from './nats';
import { createTestDatabase, type TestDatabase } from './postgres';
import { RunningService } from './service';

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

export async function readLog(client: NatsTestClient, filter: string): Promise<StoredEvent[]> {
  const store = await EventStore.open(client.nc, { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 });
  const events: StoredEvent[] = [];
  for await (const e of store.read({ filter })) events.push(e);
  return events;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `done` holds or the time runs out, returning the last value seen. */
export async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}
