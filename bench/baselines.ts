import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import { timeEach, type Summary } from './stats';

const PAYLOAD = JSON.stringify({ id: 'x', type: 'kv.value_set', data: { value: { hello: 'world', n: 42 }, version: 1 }, pad: 'p'.repeat(200) });

export interface Baselines {
  requestReply: Summary;
  publishAwaited: Summary;
  publishPipelined: number;
  pgUpsert: Summary;
  pgPointSelect: Summary;
}

/** Raw request/reply against a bare echo responder: the floor of any NATS API call. */
async function requestReply(url: string, n: number): Promise<Summary> {
  const server = await connect({ servers: url });
  const client = await connect({ servers: url });
  server.subscribe('bench.echo', { callback: (_e, m) => void m.respond(m.data) });
  await server.flush();
  try {
    return await timeEach(n, () => client.request('bench.echo', PAYLOAD, { timeout: 5000 }));
  } finally {
    await server.close();
    await client.close();
  }
}

/** Raw JetStream publishes to a file stream: awaited one by one, and pipelined with a window. */
async function publish(nc: NatsConnection, n: number, pipelined: number): Promise<[Summary, number]> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'], storage: 'file' });
  const js = jetstream(nc);
  try {
    const awaited = await timeEach(n, (i) => js.publish(`bench.raw.${i & 1023}`, PAYLOAD));
    const window = 256;
    const started = process.hrtime.bigint();
    let inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < pipelined; i++) {
      inFlight.push(js.publish(`bench.raw.${i & 1023}`, PAYLOAD));
      if (inFlight.length >= window) {
        await Promise.all(inFlight);
        inFlight = [];
      }
    }
    await Promise.all(inFlight);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return [awaited, pipelined / seconds];
  } finally {
    await jsm.streams.delete('BENCH_RAW');
  }
}

/** Raw Postgres on one connection with prepared statements: an upsert and a point select. */
async function postgres(url: string, n: number): Promise<[Summary, Summary]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('CREATE TABLE IF NOT EXISTS bench_raw (k text PRIMARY KEY, v json NOT NULL, version int NOT NULL)');
    const upsert = await timeEach(n, (i) =>
      c.query({
        name: 'bench_upsert',
        text: 'INSERT INTO bench_raw (k, v, version) VALUES ($1, $2::json, 1) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v, version = bench_raw.version + 1',
        values: [`k${Math.abs(i) % 1000}`, PAYLOAD],
      }),
    );
    const select = await timeEach(n, (i) =>
      c.query({ name: 'bench_select', text: 'SELECT k, v, version FROM bench_raw WHERE k = $1', values: [`k${Math.abs(i) % 1000}`] }),
    );
    await c.query('DROP TABLE bench_raw');
    return [upsert, select];
  } finally {
    await c.end();
  }
}

export async function measureBaselines(natsUrl: string, databaseUrl: string, n: number, pipelined: number): Promise<Baselines> {
  const nc = await connect({ servers: natsUrl });
  try {
    const requestReplyLatency = await requestReply(natsUrl, n);
    const [publishAwaited, publishPipelined] = await publish(nc, n, pipelined);
    const [pgUpsert, pgPointSelect] = await postgres(databaseUrl, n);
    return { requestReply: requestReplyLatency, publishAwaited, publishPipelined, pgUpsert, pgPointSelect };
  } finally {
    await nc.close();
  }
}
