/**
 * LangGraph's own conformance suite for checkpointers (@langchain/langgraph-checkpoint-validation),
 * run in full against MemsidecarSaver on a running service, with its opt-in getDeltaChannelHistory part. The suite declares its tests with
 * vitest's globals, which the e2e project turns on (vitest.config.mts).
 */
import { deltaChannelHistoryTests, validate, type CheckpointSaverTestInitializer } from '@langchain/langgraph-checkpoint-validation';
import { MemoryClient } from '@memsidecar/client';
import { RunningService, createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@memsidecar/testing';
import { MemsidecarSaver } from './saver';

let nats: TestNats;
let pg: TestDatabase;
let service: RunningService;
let client: MemoryClient;
let checkpointers = 0;

const initializer: CheckpointSaverTestInitializer<MemsidecarSaver> = {
  checkpointerName: 'MemsidecarSaver',
  beforeAllTimeout: 120_000,
  async beforeAll() {
    nats = await startTestNats();
    pg = await createTestDatabase();
    service = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url });
    client = await MemoryClient.connect({ natsUrl: nats.url, token: service.adminToken(), logger: { warn: () => undefined } });
  },
  async afterAll() {
    await client?.shutdown();
    await service?.stop();
    await pg?.drop();
    await nats?.stop();
  },
  // The suite lists "every checkpoint" without a thread id: each checkpointer gets a namespace of its own.
  createCheckpointer: () => new MemsidecarSaver(client, { namespace: `validation-${++checkpointers}` }),
};

validate(initializer);
// The suite's opt-in part, for the walk DeltaChannel state is rebuilt by (MemsidecarSaver overrides it).
deltaChannelHistoryTests(initializer);
