import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
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

const MEMCTL = resolve(__dirname, '..', '..', 'bin', 'memctl.js');

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** memctl as an operator runs it, against the deployment `f` (its Postgres, or its embedded PGlite). */
export function memctlFor(f: ServiceFixture, serviceEnv: Record<string, string> = {}) {
  const env = () => ({
    ...process.env,
    ...serviceEnv,
    MEMSIDECAR_NATS_URL: f.nats.url,
    MEMSIDECAR_DATA_DIR: f.service.dataDir,
    ...(f.pg ? { MEMSIDECAR_DATABASE_URL: f.pg.url } : {}),
  });
  const memctl = (...args: string[]): Promise<Run> =>
    new Promise((done) =>
      execFile(process.execPath, [MEMCTL, ...args], { env: env() }, (error, stdout, stderr) =>
        done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
  /** A run that must succeed; a failure shows what memctl said. */
  const memctlOk = async (...args: string[]): Promise<Run> => {
    const run = await memctl(...args);
    if (run.code !== 0) throw new Error(`memctl ${args.join(' ')} exited with ${run.code}:\n${run.stderr}${run.stdout}`);
    return run;
  };
  return { env, memctl, memctlOk };
}
