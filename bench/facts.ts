/**
 * facts.write and facts.search latency at 10^3 and 10^5 facts and facts.status latency, next to
 * raw request/reply and point-select baselines measured in the same run.
 */
import { Client } from 'pg';
import { NatsTestClient } from '@memsidecar/testing';
import { RawBaselines } from './baselines';
import { withBenchService } from './setup';
import { ms, timeEach, type Summary } from './stats';

const WORDS = ['auth', 'db', 'cache', 'deploy', 'api', 'ui', 'queue', 'search', 'billing', 'infra'];
const line = (i: number) => `${'CDV'[i % 3]}[${WORDS[i % 10]}.k${i}]: value ${i} for ${WORDS[(i * 7) % 10]} config`;

/** 10^5 cold facts straight in SQL: the read path's cost depends on the rows, not how they came. */
async function seedCold(databaseUrl: string, ns: string, size: number): Promise<void> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(
    `INSERT INTO fact_entries (tenant, ns, id, type, target, content, scope_id, status, cold_reason, hash, turn, created_at, updated_at, seq)
     SELECT 'default', $1, 'seed-' || g, (ARRAY['C','D','V'])[1 + g % 3], (ARRAY['auth','db','cache','deploy','api','ui','queue','search','billing','infra'])[1 + g % 10] || '.s' || g,
            'seeded value ' || g, NULL, 'cold', 'pressure', md5(g::text), 0, now() - interval '1 day', now() - interval '1 day', 0
     FROM generate_series(1, $2::int) g`,
    [ns, size],
  );
  await c.query('ANALYZE fact_entries');
  await c.end();
}

export async function factsBench(): Promise<void> {
  await withBenchService(async ({ nats, pg, service }) => {
    console.log('memsidecar facts benchmark — read models on Postgres\n');
    const baseline = await RawBaselines.create(nats.url, pg.url, 1000).latencyRound();
    const client = await NatsTestClient.connect(nats.url, service.adminToken());
    const rows: [string, Summary][] = [
      ['raw NATS request/reply', baseline.requestReply],
      ['raw Postgres point select', baseline.pgPointSelect],
    ];
    let n = 0;
    rows.push(['facts.write, store of 10^3 facts', await timeEach(1000, () => client.ok('facts.write', { ns: 'small', content: line(n++) }), 0)]);
    rows.push(['facts.search, 10^3 facts', await timeEach(300, (i) => client.ok('facts.search', { ns: 'small', query: WORDS[Math.abs(i) % 10] }), 20)]);
    rows.push(['facts.status, 10^3 facts', await timeEach(300, () => client.ok('facts.status', { ns: 'small' }), 20)]);
    await seedCold(pg.url, 'large', 100_000);
    for (let i = 0; i < 200; i++) await client.ok('facts.write', { ns: 'large', content: line(i) });
    rows.push(['facts.write, store of 10^5 facts', await timeEach(500, () => client.ok('facts.write', { ns: 'large', content: line(n++) }), 0)]);
    rows.push(['facts.search, 10^5 facts', await timeEach(300, (i) => client.ok('facts.search', { ns: 'large', query: `${WORDS[Math.abs(i) % 10]} value` }), 20)]);
    rows.push(['facts.status, 10^5 facts', await timeEach(300, () => client.ok('facts.status', { ns: 'large' }), 20)]);
    await client.close();
    console.log('latency                                   p50           p99');
    for (const [name, s] of rows) console.log(`${name.padEnd(36)} ${ms(s.p50).padStart(12)}  ${ms(s.p99).padStart(12)}`);
  });
}
