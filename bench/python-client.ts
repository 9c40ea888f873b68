/**
 * kv.put and kv.get round trips from the Python SDK over the gRPC unix socket next to the
 * TypeScript SDK over NATS, against one service in interleaved rounds, with the raw baselines of
 * each side measured in the same run: a bare gRPC call from Python, and NATS request/reply.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MemoryClient } from '@memsidecar/client';
import { RawBaselines } from './baselines';
import { withBenchService } from './setup';
import { medianRound, ms, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const VALUE = { hello: 'world', n: 42, tags: ['a', 'b', 'c'] };
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = resolve(__dirname, '..', '..', 'python', 'bench', 'kv_latency.py');

export async function pythonClientBench(): Promise<void> {
  const socket = join(mkdtempSync(join(tmpdir(), 'memsidecar-bench-')), 'memsidecar.sock');
  await withBenchService(
    async ({ nats, pg, service }) => {
      const token = service.adminToken();
      const client = await MemoryClient.connect({ natsUrl: nats.url, token, logger: { warn: () => {} } });
      const raw = RawBaselines.create(nats.url, pg.url, N);
      console.log(`memsidecar Python SDK benchmark: one service, Postgres read models; ${ROUNDS} interleaved rounds of ${N} sequential ops over 100 keys\n`);
      const rounds: Record<string, Summary[]> = {};
      const record = (name: string, s: Summary) => (rounds[name] ??= []).push(s);
      const key = (i: number) => `k${Math.abs(i) % 100}`;
      for (let r = 0; r < ROUNDS; r++) {
        record('raw NATS request/reply', (await raw.latencyRound()).requestReply);
        record('kv.put, TypeScript SDK over NATS', await timeEach(N, (i) => client.kv.put({ ns: 'bench-ts', key: key(i), value: VALUE })));
        record('kv.get, TypeScript SDK over NATS', await timeEach(N, (i) => client.kv.get({ ns: 'bench-ts', key: key(i) })));
        const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, '--endpoint', `unix://${socket}`, '--token', token, '--n', String(N)], { maxBuffer: 1 << 20 });
        const py = JSON.parse(stdout) as Record<string, Summary>;
        record('kv.put, raw gRPC from Python (uds)', py['raw gRPC put']);
        record('kv.get, raw gRPC from Python (uds)', py['raw gRPC get']);
        record('kv.put, Python SDK over gRPC (uds)', py.put);
        record('kv.get, Python SDK over gRPC (uds)', py.get);
      }
      await client.shutdown();
      console.log('latency (median round)                     p50           p99');
      for (const [name, summaries] of Object.entries(rounds)) {
        const s = medianRound(summaries);
        console.log(`${name.padEnd(41)} ${ms(s.p50).padStart(12)}  ${ms(s.p99).padStart(12)}`);
      }
    },
    { MEMSIDECAR_GRPC_SOCKET: socket, MEMSIDECAR_ACCESS_LOG: 'off' },
  );
}
