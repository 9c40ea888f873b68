import { RunningService, createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@memsidecar/testing';

export interface BenchEnvironment {
  nats: TestNats;
  pg: TestDatabase;
  service: RunningService;
  embedded: boolean;
}

/** `MEMSIDECAR_TRACING*` of the bench's own environment reach the service, so tracing's cost can be measured. */
const tracingEnv = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('MEMSIDECAR_TRACING') && e[1] !== undefined));

/**
 * A nats-server child, a fresh Postgres database and the service on them, torn down afterwards.
 * `BENCH_SERVICE_DIR` runs the service of another built checkout (a before/after comparison).
 */
export async function withBenchService(run: (env: BenchEnvironment) => Promise<void>, serviceEnv: Record<string, string> = {}): Promise<void> {
  const nats = await startTestNats();
  const pg = await createTestDatabase();
  const embedded = process.env.BENCH_DATABASE === 'pglite';
  const service = await RunningService.start({ natsUrl: nats.url, databaseUrl: embedded ? undefined : pg.url, env: { ...tracingEnv(), ...serviceEnv }, checkout: process.env.BENCH_SERVICE_DIR });
  try {
    await run({ nats, pg, service, embedded });
  } finally {
    await service.stop();
    await pg.drop();
    await nats.stop();
  }
}
