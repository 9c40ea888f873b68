/**
 * The cost of authentication, the policy engine and the access log on kv.get: four services on one
 * nats-server and one Postgres (each with its own subject prefix and stream), measured in
 * interleaved rounds next to raw request/reply, plus the in-process cost of one check.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authenticator } from '@memsidecar/api';
import { generateSigningKeys, issueToken } from '@memsidecar/auth';
import { PolicyEngine, parsePolicy } from '@memsidecar/policy';
import { NatsTestClient, RunningService, createTestDatabase, startTestNats } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { medianRound, ms, timeEach, type Summary } from './stats';

const N = Number(process.env.BENCH_N ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Twelve rules that do not refuse kv.get, so every one of them is evaluated on the way to the default. */
const POLICY = {
  default: 'allow',
  rules: [
    ...Array.from({ length: 8 }, (_, i) => ({ name: `deny-bots-${i}`, effect: 'deny', match: { agents: [`bot-${i}-*`], ops: ['kv.delete'] } })),
    { name: 'private', effect: 'deny', match: { namespaces: ['kv/private-*'] } },
    { name: 'writers', effect: 'rate_limit', match: { ops: ['kv.put'] }, rate: { perSecond: 100_000, burst: 100_000 } },
    { name: 'readers', effect: 'rate_limit', match: { ops: ['kv.get'] }, rate: { perSecond: 1_000_000, burst: 1_000_000, by: ['tenant', 'agent', 'namespace'] } },
    { name: 'pages', effect: 'cap', match: { ops: ['kv.*'] }, caps: { limit: 500, bodyBytes: 65_536 } },
  ],
};

const VARIANTS: { name: string; auth: 'none' | 'token'; accessLog: boolean; policy: boolean }[] = [
  { name: 'no auth, no policy, no access log', auth: 'none', accessLog: false, policy: false },
  { name: 'token auth', auth: 'token', accessLog: false, policy: false },
  { name: 'token auth + 12-rule policy', auth: 'token', accessLog: false, policy: true },
  { name: 'token + policy + access log (default)', auth: 'token', accessLog: true, policy: true },
];

async function inProcessCost(): Promise<{ auth: number; policy: number }> {
  const keys = generateSigningKeys(mkdtempSync(join(tmpdir(), 'memsidecar-bench-keys-')));
  const token = issueToken({ tenant: 'default', agent: 'bench', namespaces: ['*'], ops: ['*'] }, keys.secretKey);
  const auth = new Authenticator('token', [keys.publicKey]);
  const engine = new PolicyEngine(parsePolicy(POLICY));
  const request = { tenant: 'default', agent: 'bench', op: 'kv.get', namespace: 'kv/bench', transport: 'nats', input: { ns: 'bench', key: 'k1' }, bodyBytes: () => 30 };
  const perCall = async (n: number, run: () => unknown) => {
    for (let i = 0; i < 10_000; i++) await run();
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await run();
    return Number(process.hrtime.bigint() - t) / 1e3 / n;
  };
  const now = new Date();
  return { auth: await perCall(200_000, () => auth.authenticate(`Bearer ${token}`, now)), policy: await perCall(200_000, () => engine.apply(request, Date.now())) };
}

export async function securityBench(): Promise<void> {
  const nats = await startTestNats();
  const pg = await createTestDatabase();
  const configFile = join(mkdtempSync(join(tmpdir(), 'memsidecar-bench-policy-')), 'policy.yaml');
  writeFileSync(configFile, JSON.stringify({ policy: POLICY }));
  const services: RunningService[] = [];
  const clients: NatsTestClient[] = [];
  try {
    for (const [i, v] of VARIANTS.entries()) {
      const env: Record<string, string> = { MEMSIDECAR_SUBJECT_PREFIX: `b${i}`, MEMSIDECAR_STREAM: `BENCH_${i}`, MEMSIDECAR_QUEUE_GROUP: `b${i}` };
      if (v.policy) env.MEMSIDECAR_CONFIG = configFile;
      if (!v.accessLog) env.MEMSIDECAR_ACCESS_LOG = 'off';
      const service = await RunningService.start({ natsUrl: nats.url, databaseUrl: pg.url, auth: v.auth, env });
      services.push(service);
      const client = await NatsTestClient.connect(nats.url, v.auth === 'none' ? undefined : service.adminToken(), `b${i}`);
      clients.push(client);
      for (let k = 0; k < 100; k++) await client.ok('kv.put', { ns: 'bench', key: `k${k}`, value: { n: k } });
    }
    console.log(`memsidecar security benchmark — kv.get through four services on one nats-server and Postgres; ${ROUNDS} interleaved rounds of ${N}\n`);
    const raw = RawBaselines.create(nats.url, pg.url, N);
    const rounds: Summary[][] = VARIANTS.map(() => []);
    const rawRounds: Summary[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      rawRounds.push((await raw.latencyRound()).requestReply);
      for (const [i, client] of clients.entries()) rounds[i].push(await timeEach(N, (k) => client.ok('kv.get', { ns: 'bench', key: `k${Math.abs(k) % 100}` })));
    }
    const base = medianRound(rounds[0]);
    console.log('kv.get latency (median round)              p50           p99      p50 vs no auth');
    console.log(`${'raw NATS request/reply'.padEnd(40)} ${ms(medianRound(rawRounds).p50).padStart(10)}  ${ms(medianRound(rawRounds).p99).padStart(12)}`);
    for (const [i, v] of VARIANTS.entries()) {
      const s = medianRound(rounds[i]);
      const delta = s.p50 - base.p50;
      console.log(`${v.name.padEnd(40)} ${ms(s.p50).padStart(10)}  ${ms(s.p99).padStart(12)}  ${(delta >= 0 ? '+' : '') + ms(delta)}`);
    }
    const cost = await inProcessCost();
    console.log(`\nin process, per call: token check (verified token cached) ${cost.auth.toFixed(2)} µs; 12-rule policy ${cost.policy.toFixed(2)} µs`);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    for (const s of services) await s.stop();
    await pg.drop();
    await nats.stop();
  }
}
