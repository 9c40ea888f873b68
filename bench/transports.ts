/**
 * kv.put and kv.get p50/p99 over every transport of one service — NATS, HTTP/JSON, gRPC over TCP
 * and over a unix socket — in interleaved rounds, next to raw NATS request/reply and a raw
 * Postgres point select measured in the same run.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grpcContractClient, httpContractClient, natsContractClient, type ContractClient } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { withBenchService } from './setup';
import { medianRound, ms, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const VALUE = { hello: 'world', n: 42, tags: ['a', 'b', 'c'] };

export async function transportsBench(): Promise<void> {
  const socket = join(mkdtempSync(join(tmpdir(), 'memsidecar-bench-')), 'memsidecar.sock');
  await withBenchService(
    async ({ nats, pg, service }) => {
      const token = service.adminToken();
      const clients: ContractClient[] = [
        await natsContractClient(nats.url, token),
        httpContractClient(service.httpUrl, token),
        grpcContractClient('grpc-tcp', service.grpcAddr, token),
        grpcContractClient('grpc-uds', `unix:${socket}`, token),
      ];
      console.log(`memsidecar transports benchmark — one service, Postgres read models; ${ROUNDS} interleaved rounds of ${N} sequential ops over 100 keys\n`);
      const must = async (c: ContractClient, op: string, body: object) => {
        const reply = await c.call(op, body);
        if (!reply.ok) throw new Error(`${op} over ${c.name}: ${JSON.stringify(reply.error)}`);
      };
      for (const c of clients) for (let k = 0; k < 100; k++) await must(c, 'kv.put', { ns: `bench-${c.name}`, key: `k${k}`, value: VALUE });

      const raw = RawBaselines.create(nats.url, pg.url, N);
      const rounds: Record<string, Summary[]> = {};
      const record = (name: string, s: Summary) => (rounds[name] ??= []).push(s);
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, s] of await raw.namedLatencyRound(['requestReply', 'pgPointSelect'])) record(name, s);
        for (const c of clients) {
          const key = (i: number) => `k${Math.abs(i) % 100}`;
          record(`kv.put over ${c.name}`, await timeEach(N, (i) => must(c, 'kv.put', { ns: `bench-${c.name}`, key: key(i), value: VALUE })));
          record(`kv.get over ${c.name}`, await timeEach(N, (i) => must(c, 'kv.get', { ns: `bench-${c.name}`, key: key(i) })));
        }
      }
      await Promise.all(clients.map((c) => c.close()));
      console.log('latency (median round)              p50           p99');
      for (const [name, summaries] of Object.entries(rounds)) {
        const s = medianRound(summaries);
        console.log(`${name.padEnd(34)} ${ms(s.p50).padStart(12)}  ${ms(s.p99).padStart(12)}`);
      }
    },
    { MEMSIDECAR_GRPC_SOCKET: socket, MEMSIDECAR_ACCESS_LOG: 'off' },
  );
}
