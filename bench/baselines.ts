import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Client } from 'pg';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { timeEach, type Summary } from './stats';

const PAYLOAD = JSON.stringify({ id: 'x', type: 'kv.value_set', data: { value: { hello: 'world', n: 42 }, version: 1 }, pad: 'p'.repeat(200) });

export interface Baselines {
  requestReply: Summary;
  publishAwaited: Summary;
  publishPipelined: number;
  pgUpsert: Summary;
  pgPointSelect: Summary;
}

type LatencyBaseline = Exclude<keyof Baselines, 'publishPipelined'>;

/** The names the benches print the raw latency baselines under. */
const LATENCY_NAMES: Record<LatencyBaseline, string> = {
  requestReply: 'raw NATS request/reply',
  publishAwaited: 'raw JetStream publish (awaited)',
  pgUpsert: 'raw Postgres upsert',
  pgPointSelect: 'raw Postgres point select',
};

/** Raw request/reply against a bare echo responder in its own process, as a sidecar would be. */
async function requestReply(url: string, n: number): Promise<Summary> {
  const responder = spawn(process.execPath, [join(__dirname, 'echo-responder.js'), url], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((ready, fail) => {
    responder.stdout.once('data', () => ready());
    responder.once('exit', (code) => fail(new Error(`echo responder exited with ${code}`)));
  });
  const client = await connect({ servers: url });
  try {
    return await timeEach(n, () => client.request('bench.echo', PAYLOAD, { timeout: 5000 }));
  } finally {
    await client.close();
    responder.stdin.end();
  }
}

/** Raw JetStream publishes to a file stream: awaited one by one, and pipelined with a window. */
async function publish(nc: NatsConnection, n: number, pipelined: number): Promise<[Summary, number]> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'], storage: 'file' });
  const js = jetstream(nc);
  try {
    const awaited = n > 0 ? await timeEach(n, (i) => js.publish(`bench.raw.${i & 1023}`, PAYLOAD)) : { p50: 0, p95: 0, p99: 0, count: 0 };
    const window = 256;
    if (pipelined === 0) return [awaited, 0];
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

/** The raw baselines, each measured `rounds` times interleaved with the caller's own rounds. */
export class RawBaselines {
  private constructor(
    private readonly natsUrl: string,
    private readonly databaseUrl: string,
    private readonly n: number,
  ) {}

  static create(natsUrl: string, databaseUrl: string, n: number): RawBaselines {
    return new RawBaselines(natsUrl, databaseUrl, n);
  }

  async latencyRound(): Promise<Omit<Baselines, 'publishPipelined'>> {
    const nc = await connect({ servers: this.natsUrl });
    try {
      const rr = await requestReply(this.natsUrl, this.n);
      const [publishAwaited] = await publish(nc, this.n, 0);
      const [pgUpsert, pgPointSelect] = await postgres(this.databaseUrl, this.n);
      return { requestReply: rr, publishAwaited, pgUpsert, pgPointSelect };
    } finally {
      await nc.close();
    }
  }

  /** One latency round of the baselines asked for (all by default), each under the name it is printed as. */
  async namedLatencyRound(which: LatencyBaseline[] = Object.keys(LATENCY_NAMES) as LatencyBaseline[]): Promise<[string, Summary][]> {
    const round = await this.latencyRound();
    return which.map((b) => [LATENCY_NAMES[b], round[b]]);
  }

  async pipelined(messages: number): Promise<number> {
    const nc = await connect({ servers: this.natsUrl });
    try {
      return (await publish(nc, 0, messages))[1];
    } finally {
      await nc.close();
    }
  }
}
