/**
 * `npm run bench -- langgraph`: LangGraph checkpoint latency through MemsidecarSaver next to
 * LangGraph's own PostgresSaver on the same Postgres server (a fresh database each), with raw
 * NATS request/reply and raw Postgres in the same run. Savers are measured in interleaved rounds
 * and the median round is reported.
 */
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { uuid6, type BaseCheckpointSaver, type ChannelVersions, type Checkpoint, type CheckpointMetadata } from '@langchain/langgraph-checkpoint';
import type { RunnableConfig } from '@langchain/core/runnables';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarSaver } from '@memsidecar/langgraph';
import { createTestDatabase } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { withBenchService } from './setup';
import { medianRound, ms, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Messages in the state, each about 300 bytes: a short conversation. */
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20);
const WARMUP = Math.min(50, N);


/**
 * One thread as a graph writes it: each step a new checkpoint whose parent is the last, the
 * `messages` and `step` channels changed (a new version each), `tools` unchanged.
 */
export class Thread {
  private parent: RunnableConfig;
  private step = 0;
  private readonly messages: string[] = [];
  last?: RunnableConfig;

  constructor(private readonly saver: BaseCheckpointSaver, threadId: string) {
    this.parent = { configurable: { thread_id: threadId, checkpoint_ns: '' } };
  }

  async put(): Promise<RunnableConfig> {
    this.step++;
    this.messages.push(`message ${this.step}: ${'lorem ipsum dolor sit amet '.repeat(10)}`);
    if (this.messages.length > MESSAGES) this.messages.shift();
    const version = this.step + 1;
    const checkpoint: Checkpoint = {
      v: 4,
      id: uuid6(this.step),
      ts: new Date().toISOString(),
      channel_values: { messages: [...this.messages], step: this.step, tools: ['search', 'calculator'] },
      channel_versions: { messages: version, step: version, tools: 1 },
      versions_seen: { agent: { messages: version - 1 }, tools: { messages: version - 1 } },
    };
    const metadata: CheckpointMetadata = { source: 'loop', step: this.step, parents: {} };
    const newVersions: ChannelVersions = this.step === 1 ? { messages: version, step: version, tools: 1 } : { messages: version, step: version };
    this.last = await this.saver.put(this.parent, checkpoint, metadata, newVersions);
    this.parent = this.last;
    return this.last;
  }
}

export async function langgraphBench(): Promise<void> {
  await withBenchService(async ({ nats, pg, service, embedded }) => {
    const postgresDb = await createTestDatabase();
    const client = await MemoryClient.connect({ natsUrl: nats.url, token: service.adminToken(), logger: { warn: () => undefined } });
    const postgres = PostgresSaver.fromConnString(postgresDb.url);
    try {
      await postgres.setup();
      const savers: Record<string, BaseCheckpointSaver> = { 'PostgresSaver': postgres, 'MemsidecarSaver': new MemsidecarSaver(client, { namespace: 'bench' }) };
      console.log(
        `LangGraph checkpointer benchmark — MemsidecarSaver (service on ${embedded ? 'PGlite' : 'Postgres'}) next to PostgresSaver on the same Postgres server; ` +
          `${ROUNDS} interleaved rounds of ${N} sequential ops, checkpoints of ${MESSAGES} messages (~${Math.round((MESSAGES * 300) / 1024)} KiB)\n`,
      );
      const raw = RawBaselines.create(nats.url, pg.url, N);
      const rounds: Record<string, Summary[]> = {};
      const record = (name: string, f: Summary) => (rounds[name] ??= []).push(f);
      const rawRounds: Record<string, number[]> = {};
      for (let r = 0; r < ROUNDS; r++) {
        const b = await raw.latencyRound();
        (rawRounds['raw NATS request/reply'] ??= []).push(b.requestReply.p50);
        (rawRounds['raw Postgres upsert'] ??= []).push(b.pgUpsert.p50);
        (rawRounds['raw Postgres point select'] ??= []).push(b.pgPointSelect.p50);
        for (const [name, saver] of Object.entries(savers)) {
          const thread = new Thread(saver, `bench-${r}`);
          record(`${name} put`, await timeEach(N, () => thread.put(), WARMUP));
          const configs: RunnableConfig[] = [];
          for await (const t of saver.list({ configurable: { thread_id: `bench-${r}`, checkpoint_ns: '' } }, { limit: 200 })) configs.push(t.config);
          record(`${name} getTuple (latest)`, await timeEach(N, () => saver.getTuple({ configurable: { thread_id: `bench-${r}`, checkpoint_ns: '' } }), WARMUP));
          record(`${name} getTuple (by id)`, await timeEach(N, (i) => saver.getTuple(configs[Math.abs(i) % configs.length]), WARMUP));
          // Last, so the reads above load checkpoints without a pile of pending writes.
          record(`${name} putWrites (2 writes)`, await timeEach(N, (i) => saver.putWrites(configs[Math.abs(i) % configs.length], [['messages', `w${i}`], ['step', i]], `task-${r}-${i}`, '~__pregel_pull, agent'), WARMUP));
        }
      }
      console.log('latency (median round)                        p50          p95          p99');
      for (const name of Object.keys(rounds)) {
        const f = medianRound(rounds[name]);
        console.log(`${name.padEnd(40)} ${ms(f.p50).padStart(12)} ${ms(f.p95).padStart(12)} ${ms(f.p99).padStart(12)}`);
      }
      console.log('\nraw baselines, same run (median p50)');
      for (const [name, values] of Object.entries(rawRounds)) console.log(`${name.padEnd(40)} ${ms([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]).padStart(12)}`);
    } finally {
      await client.shutdown();
      await postgres.end();
      await postgresDb.drop();
    }
  });
}
