import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { BLOCKS } from '@memsidecar/platform';
import { createTestDatabase, sleep, waitFor, type TestDatabase } from '@memsidecar/testing';
import { memctlFor, serviceFixture } from './support/fixture';

const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * Every row of every read-model table, as Postgres prints it, in a canonical order. Left out: the
 * blob release records, which the collector forgets by its clock rather than by the log.
 */
async function readModelRows(url: string): Promise<Record<string, string[]>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET TimeZone = 'UTC'`);
    const tables = (
      await client.query<{ name: string }>(`SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('migrations') ORDER BY 1`)
    ).rows;
    const rows: Record<string, string[]> = {};
    for (const { name } of tables) {
      // When a runner last committed is bookkeeping on the wall clock, not read-model state.
      const select = name === 'mem_checkpoints' ? `SELECT row_to_json(t)::text AS r FROM (SELECT name, seq FROM mem_checkpoints WHERE name <> 'session_lease_release') t` : `SELECT row_to_json(t)::text AS r FROM ${name} t`;
      rows[name] = (await client.query<{ r: string }>(`${select} ORDER BY 1`)).rows.map((r) => r.r);
    }
    return rows;
  } finally {
    await client.end();
  }
}

async function sql(url: string, text: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const readLines = (path: string): StoredEvent[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StoredEvent);

describe('log tools - export, point-in-time replay and verify (Postgres)', () => {
  // The blob collector forgets release records after a second, as it would after its grace period.
  const serviceEnv = { MEMSIDECAR_EMBEDDER: 'hashing', MEMSIDECAR_ARTIFACT_GC_GRACE_MS: '1000', MEMSIDECAR_ARTIFACT_GC_INTERVAL_MS: '500' };
  const f = serviceFixture('postgres', serviceEnv);
  const dir = mkdtempSync(join(tmpdir(), 'memsidecar-log-tools-'));
  const scratch: TestDatabase[] = [];
  const { env, memctl, memctlOk } = memctlFor(f, serviceEnv);
  const fullLog = () => f.logOf('mem.evt.>');
  const freshDatabase = async () => {
    const db = await createTestDatabase();
    scratch.push(db);
    return db;
  };

  /** Every live read model has applied every event of its own up to `seq`. */
  const liveCaughtUp = async (seq: number) => {
    const events = (await fullLog()).filter((e) => e.seq <= seq);
    await waitFor(
      async () => {
        const client = new Client({ connectionString: f.pg!.url });
        await client.connect();
        const rows = (await client.query<{ name: string; seq: string }>(`SELECT name, seq FROM mem_checkpoints`).finally(() => client.end())).rows;
        const checkpoints = new Map(rows.map((r) => [r.name, Number(r.seq)]));
        return BLOCKS.flatMap((b) => b.projections).every((p) => {
          const last = Math.max(0, ...events.filter((e) => p.everyBlock || e.block === p.block).map((e) => e.seq));
          return (checkpoints.get(p.name) ?? 0) >= last;
        });
      },
      (ok) => ok,
      15_000,
    );
  };

  /** Writes to every block: overwrites, deletes, sessions with leases, artifacts replaced and deleted. */
  async function writeEverywhere(tag: string): Promise<number> {
    const c = f.client;
    // Request ids put rows in the request ledger (mem_requests), which is compared too.
    await c.ok('kv.put', { ns: 'mix', key: `k-${tag}`, value: { tag }, metadata: { a: tag } }, { requestId: `kv-${tag}` });
    await c.ok('kv.put', { ns: 'mix', key: `k-${tag}`, value: [tag, 2], ttlMs: 3_600_000 });
    await c.ok('kv.put', { ns: 'mix', key: `gone-${tag}`, value: 1 });
    await c.ok('kv.delete', { ns: 'mix', key: `gone-${tag}` });
    for (let i = 0; i < 3; i++) await c.ok('episodic.append', { ns: 'mix', type: 'note', payload: { i, tag }, dedupKey: `${tag}-${i}` }, { requestId: `ep-${tag}-${i}` });
    await c.ok('episodic.expire', { ns: 'mix', beforeCursor: 2, action: 'soft', maxRows: 1 });
    const session = await c.ok('session.open', { sessionId: `s-${tag}` });
    await c.ok('lease.acquire', { ns: 'mix', key: `l-${tag}`, ttlMs: 60_000 }, { headers: { 'Mem-Session-Id': `s-${tag}`, 'Mem-Session-Token': session.sessionToken } });
    await c.ok('session.checkpoint', { sessionId: `s-${tag}`, sessionToken: session.sessionToken, state: { step: 1 } });
    await c.ok('session.close', { sessionId: `s-${tag}`, sessionToken: session.sessionToken }, { requestId: `close-${tag}` });
    await c.ok('semantic.upsert', { ns: 'mix', records: [{ id: `r-${tag}`, content: `a note about ${tag}`, metadata: { tag } }] });
    await c.ok('semantic.delete', { ns: 'mix', ids: [`r-${tag}`] });
    await c.ok('artifact.put', { ns: 'mix', id: `doc-${tag}`, data: b64('one') });
    await c.ok('artifact.put', { ns: 'mix', id: `doc-${tag}`, data: b64('two') }, { requestId: `doc-${tag}` });
    await c.ok('artifact.delete', { ns: 'mix', id: `doc-${tag}` });
    await c.ok('lease.acquire', { ns: 'mix', key: `free-${tag}`, ttlMs: 60_000, holder: 'h' }).then((l) => c.ok('lease.release', { ns: 'mix', key: `free-${tag}`, holderId: l.holderId }));
    await c.ok('semantic.upsert', { ns: 'mix', records: [{ id: `old-${tag}`, content: 'old', metadata: { kind: 'old' } }] });
    await c.ok('semantic.expire', { ns: 'mix', filter: { kind: 'old' }, action: 'invalidate', maxRows: 10 });
    await c.ok('facts.write', { ns: 'mix', content: `D[db-${tag}]: use postgres` });
    await c.ok('facts.write', { ns: 'mix', content: `D[ui-${tag}]: dark mode`, scope: `theme-${tag}`, sessionId: `fs-${tag}` });
    await c.ok('facts.tick', { ns: 'mix', sessionId: `fs-${tag}`, turn: 1, message: 'theme is merged' });
    await c.ok('facts.search', { ns: 'mix', query: 'postgres' });
    await c.ok('graph.upsert', { ns: 'mix', nodes: [{ id: `n-${tag}`, labels: ['note'], props: { tag } }, { id: `m-${tag}` }, { id: `x-${tag}` }], edges: [{ id: `e-${tag}`, type: 'links', from: `n-${tag}`, to: `m-${tag}` }, { id: `x-${tag}`, type: 'links', from: `x-${tag}`, to: `n-${tag}` }] });
    await c.ok('graph.upsert', { ns: 'mix', edges: [{ id: `f-${tag}`, type: 'links', from: `n-${tag}`, to: `x-${tag}`, supersedes: `e-${tag}` }] }, { requestId: `graph-${tag}` });
    await c.ok('graph.delete', { ns: 'mix', nodeIds: [`x-${tag}`], cascade: true });
    const last = await c.ok('facts.write', { ns: 'mix', content: `D[db-${tag}]: use postgres 15` });
    return last.seq;
  }

  beforeAll(async () => {
    await writeEverywhere('setup');
  });

  afterAll(async () => {
    for (const db of scratch) await db.drop();
  });

  it('revert kv restores a key as it was at a sequence by a new event, which the running service applies', async () => {
    const first = await f.client.ok('kv.put', { ns: 'rev', key: 'plan', value: { step: 1 } });
    await f.client.ok('kv.put', { ns: 'rev', key: 'plan', value: { step: 2 } });
    const run = await memctlOk('revert', 'kv', '--tenant', 'default', '--ns', 'rev', '--key', 'plan', '--to-seq', String(first.seq), '--json');
    const result = JSON.parse(run.stdout);
    expect(result).toEqual({ restored: 'value', fromSeq: first.seq, version: 3, seq: expect.any(Number) });
    expect(await f.client.ok('kv.get', { ns: 'rev', key: 'plan', minSeq: result.seq })).toMatchObject({ value: { step: 1 }, version: 3 });
    const [event] = (await fullLog()).filter((e) => e.seq === result.seq);
    expect(event).toMatchObject({ type: 'kv.value_set', agent: 'memctl', data: { revertedTo: first.seq } });
    expect(await memctl('revert', 'kv', '--tenant', 'default', '--ns', 'rev', '--key', 'plan', '--to-seq', 'zero')).toMatchObject({ code: 2, stderr: expect.stringContaining('--to-seq') });
    expect(await memctl('revert', 'kv', '--tenant', 'default', '--ns', 'rev', '--key', 'plan')).toMatchObject({ code: 2, stderr: expect.stringContaining('--to-seq') });
  });

  it('revert semantic and revert facts restore a record and a fact beside the running service, by new events it applies', async () => {
    const first = await f.client.ok('semantic.upsert', { ns: 'rev', records: [{ id: 'office', content: 'the office is in Paris' }] });
    await f.client.ok('semantic.upsert', { ns: 'rev', records: [{ id: 'office', content: 'the office is in Lyon' }] });
    const record = JSON.parse((await memctlOk('revert', 'semantic', '--tenant', 'default', '--ns', 'rev', '--id', 'office', '--to-seq', String(first.seq), '--json')).stdout);
    expect(record).toEqual({ restored: 'record', fromSeq: first.seq, version: 3, seq: expect.any(Number) });
    const hits = (await f.client.ok('semantic.search', { ns: 'rev', queryText: 'office', mode: 'sparse', minSeq: record.seq })).hits;
    expect(hits).toMatchObject([{ id: 'office', content: 'the office is in Paris', version: 3 }]);

    const jwt = await f.client.ok('facts.write', { ns: 'rev', content: 'D[auth]: JWT' });
    await f.client.ok('facts.write', { ns: 'rev', content: 'D[auth]: sessions' });
    const revertFact = (...more: string[]) => memctl('revert', 'facts', '--tenant', 'default', '--ns', 'rev', ...more);
    const fact = JSON.parse((await memctlOk('revert', 'facts', '--tenant', 'default', '--ns', 'rev', '--id', jwt.id, '--to-seq', String(jwt.seq), '--json')).stdout);
    expect(fact).toEqual({ restored: 'fact', fromSeq: jwt.seq, tier: 'hot', line: 'D[auth]: JWT', seq: expect.any(Number) });
    const [event] = (await fullLog()).filter((e) => e.seq === fact.seq);
    expect(event).toMatchObject({ type: 'facts.fact_restored', agent: 'memctl', data: { fact: { id: jwt.id, status: 'active' }, revertedTo: jwt.seq } });
    expect((await f.client.ok('facts.export', { ns: 'rev' })).lines.sort()).toEqual(['D[auth]: JWT', 'D[auth]: sessions']);
    expect(await revertFact('--id', jwt.id, '--to-seq', String(jwt.seq))).toMatchObject({ code: 0, stdout: expect.stringContaining('nothing appended') });
    expect(await revertFact('--id', 'not-an-id', '--to-seq', String(jwt.seq))).toMatchObject({ code: 2, stderr: expect.stringContaining('--id') });
  });

  it('export writes every event once, oldest first, and a second run continues after the last line', async () => {
    const out = join(dir, 'export.jsonl');
    const first = await memctlOk('log', 'export', '--out', out);
    const logged = await fullLog();
    expect(readLines(out)).toEqual(logged);
    expect(first.stderr).toContain(`wrote ${logged.length} events`);
    expect(first.stderr).toContain(`last seq ${logged.at(-1)!.seq}`);

    await writeEverywhere('export-2');
    const second = await memctlOk('log', 'export', '--out', out);
    expect(second.stderr).toContain(`ends at seq ${logged.at(-1)!.seq}`);
    expect(readLines(out)).toEqual(await fullLog());
  });

  it('export cuts off a torn last line and writes that event again, once', async () => {
    const out = join(dir, 'torn.jsonl');
    await memctlOk('log', 'export', '--out', out);
    const text = readFileSync(out, 'utf8');
    // An export killed in the middle of its last line.
    truncateSync(out, Buffer.byteLength(text) - 20);
    await f.client.ok('kv.put', { ns: 'torn', key: 'k', value: 1 });
    const resumed = await memctlOk('log', 'export', '--out', out);
    expect(resumed.stderr).toContain('cut off a torn last line');
    expect(readLines(out)).toEqual(await fullLog());
  });

  it('--from-seq and --since choose where a new export starts, and are ignored when resuming', async () => {
    const logged = await fullLog();
    const from = logged[Math.floor(logged.length / 2)].seq;
    const bySeq = join(dir, 'from-seq.jsonl');
    await memctlOk('log', 'export', '--out', bySeq, '--from-seq', String(from));
    expect(readLines(bySeq)).toEqual(logged.filter((e) => e.seq >= from));

    await sleep(20);
    const since = new Date();
    await sleep(20);
    const after = await f.client.ok('kv.put', { ns: 'since', key: 'k', value: 1 });
    await f.client.ok('kv.put', { ns: 'since', key: 'k', value: 2 });
    const byTime = join(dir, 'since.jsonl');
    await memctlOk('log', 'export', '--out', byTime, '--since', since.toISOString());
    const exported = readLines(byTime);
    expect(exported[0].seq).toBe(after.seq);
    expect(exported).toEqual((await fullLog()).filter((e) => e.seq >= after.seq));

    const again = await memctlOk('log', 'export', '--out', bySeq, '--from-seq', '1');
    expect(again.stderr).toContain('--since/--from-seq ignored');
    expect(readLines(bySeq)).toEqual((await fullLog()).filter((e) => e.seq >= from));

    expect(await memctl('log', 'export', '--out', join(dir, 'bad.jsonl'), '--from-seq', 'zero')).toMatchObject({ code: 2, stderr: expect.stringContaining('--from-seq') });
    expect(await memctl('log', 'export', '--out', join(dir, 'bad.jsonl'), '--since', 'yesterday')).toMatchObject({ code: 2, stderr: expect.stringContaining('--since') });
  });

  it('export --follow appends events as they arrive and exits cleanly on SIGTERM', async () => {
    const out = join(dir, 'follow.jsonl');
    const child = spawn(process.execPath, [MEMCTL, 'log', 'export', '--out', out, '--follow'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lineCount = async () => readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
    const before = (await fullLog()).length;
    await waitFor(() => lineCount().catch(() => 0), (n) => n === before, 15_000);

    const written: number[] = [];
    for (let i = 0; i < 5; i++) written.push((await f.client.ok('kv.put', { ns: 'follow', key: `k${i}`, value: i })).seq);
    await waitFor(() => lineCount(), (n) => n === before + 5, 15_000);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const lines = readLines(out);
    expect(lines.map((e) => e.seq).slice(-5)).toEqual(written);
    expect(lines).toEqual(await fullLog());
    expect(stderr).toContain(`last seq ${written.at(-1)}`);
  });

  it('replay --into rebuilds every read model as it was at a sequence, and at a time', async () => {
    const s = await writeEverywhere('pit');
    await liveCaughtUp(s);
    const atS = await readModelRows(f.pg!.url);
    await sleep(20);
    const time = new Date();
    await sleep(20);
    // Later writes change and delete what existed at S.
    await f.client.ok('kv.put', { ns: 'mix', key: 'k-pit', value: 'changed' });
    await f.client.ok('kv.delete', { ns: 'mix', key: 'k-setup' });
    await f.client.ok('episodic.expire', { ns: 'mix', beforeCursor: 100, action: 'hard', maxRows: 100 });
    await f.client.ok('facts.write', { ns: 'mix', content: '~[db-pit]: retired' });
    await writeEverywhere('later');

    const bySeq = await freshDatabase();
    const replayed = await memctlOk('replay', '--into', bySeq.url, '--until', String(s));
    expect(replayed.stdout).toMatch(/kv_entries: seq \d+ \(last event \d+\), \d+ events in [\d.]+ s, \d+ events\/s/);
    expect(await readModelRows(bySeq.url)).toEqual(atS);

    const byTime = await freshDatabase();
    const timed = await memctlOk('replay', '--into', byTime.url, '--until', time.toISOString());
    expect(timed.stdout).toContain(`up to seq ${s}`);
    expect(await readModelRows(byTime.url)).toEqual(atS);

    expect(await memctl('replay', '--into', bySeq.url)).toMatchObject({ code: 2, stderr: expect.stringContaining('--force') });
    await memctlOk('replay', '--into', bySeq.url, '--until', String(s), '--force');
    expect(await readModelRows(bySeq.url)).toEqual(atS);

    expect(await memctl('replay', '--into', f.pg!.url, '--force')).toMatchObject({ code: 2, stderr: expect.stringContaining('live read-model database') });
    expect(await memctl('replay', '--into', byTime.url, '--until', 'noon', '--force')).toMatchObject({ code: 2, stderr: expect.stringContaining('--until') });
  });

  it('verify finds the live read models identical to a replay, also while writes continue', async () => {
    expect((await memctlOk('verify')).stdout).toContain('identical');

    let writing = true;
    const writer = (async () => {
      for (let i = 0; writing; i++) await f.client.ok('kv.put', { ns: 'busy', key: `k${i % 7}`, value: i });
    })();
    try {
      expect((await memctlOk('verify')).stdout).toContain('identical');
    } finally {
      writing = false;
      await writer;
    }
  });

  it('after audit.erase, the log holds the namespace only as erased events, and verify and a replay agree with the live read models', async () => {
    const c = f.client;
    const secret = 'Zanzibar-7731';
    await c.ok('kv.put', { ns: 'forget', key: 'who', value: { name: secret } }, { requestId: 'forget-kv' });
    await c.ok('episodic.append', { ns: 'forget', type: 'note', payload: { text: secret } });
    await c.ok('semantic.upsert', { ns: 'forget', records: [{ id: 'r', content: `${secret} sails` }] });
    await c.ok('artifact.put', { ns: 'forget', id: 'cv', data: b64(secret) });
    await c.ok('facts.write', { ns: 'forget', content: `D[user]: ${secret}` });
    // The payloads never reach the stream in clear.
    const raw = await rawStream(f.nats.url);
    expect(raw).not.toContain(secret);
    expect(raw).toContain('"sealed"');

    const receipt = await c.ok('audit.erase', { subject: { tenant: 'default', ns: 'forget' } });
    expect(receipt).toMatchObject({ subject: { tenant: 'default', ns: 'forget' }, keys: [expect.any(String)], blobs: 1, events: { count: 5 } });
    await liveCaughtUp(receipt.seq);
    const forgotten = (await fullLog()).filter((e) => e.ns === 'forget' && e.block !== 'audit');
    expect(forgotten).toHaveLength(5);
    for (const e of forgotten) expect(e).toMatchObject({ erased: true, data: null });
    expect(await c.ok('kv.get', { ns: 'forget', key: 'who' })).toEqual({ found: false });
    // A retry of a request the erasure took the result of is refused, never applied again.
    expect((await c.call('kv.put', { ns: 'forget', key: 'who', value: { name: secret } }, { requestId: 'forget-kv' })).error).toMatchObject({ code: 'FAILED_PRECONDITION' });

    const out = join(dir, 'erased.jsonl');
    await memctlOk('log', 'export', '--out', out);
    expect(readFileSync(out, 'utf8')).not.toContain(secret);
    expect((await memctlOk('verify')).stdout).toContain('identical');
    const replayed = await freshDatabase();
    await memctlOk('replay', '--into', replayed.url, '--force');
    const rows = await readModelRows(replayed.url);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows.audit_log.filter((r) => JSON.parse(r).ns === 'forget').map((r) => JSON.parse(r).type)).toEqual(['audit.subject_erased']);
  });

  it('memctl erase asks the running service for the erasure and prints its receipt', async () => {
    const { seq } = await f.client.ok('kv.put', { ns: 'forget-by-operator', key: 'who', value: 'someone' });
    const receipt = JSON.parse((await memctlOk('erase', '--tenant', 'default', '--ns', 'forget-by-operator', '--json')).stdout);
    expect(receipt).toMatchObject({ subject: { tenant: 'default', ns: 'forget-by-operator' }, events: { count: 1, ranges: [{ from: seq, to: seq }] }, rows: { kv_entries: 1 } });
    expect(await f.client.ok('kv.get', { ns: 'forget-by-operator', key: 'who', minSeq: receipt.seq })).toEqual({ found: false });
    const [event] = (await fullLog()).filter((e) => e.seq === receipt.seq);
    expect(event).toMatchObject({ type: 'audit.subject_erased', agent: 'memctl' });
    expect(await memctl('erase', '--ns', 'x')).toMatchObject({ code: 2, stderr: expect.stringContaining('--tenant') });
  });

  it('verify prints a tampered row (table, key, column, both values) and exits 1; no scratch database is left', async () => {
    await sql(f.pg!.url, `UPDATE kv_entries SET value = '"tampered"' WHERE ns = 'mix' AND key = 'k-pit'`);
    await sql(f.pg!.url, `DELETE FROM episodic_events WHERE ns = 'mix' AND cursor = (SELECT max(cursor) FROM episodic_events WHERE ns = 'mix')`);
    const run = await memctl('verify');
    expect(run, run.stderr).toMatchObject({ code: 1 });
    expect(run.stdout).toContain('kv_entries (tenant=default, ns=mix, key=k-pit) value: live "\\"tampered\\"", rebuilt "\\"changed\\""');
    expect(run.stdout).toMatch(/episodic_events \(tenant=default, ns=mix, cursor=\d+\): row only in the rebuilt read model/);
    expect(run.stdout).toMatch(/verify: 2 differences in episodic_events, kv_entries|verify: 2 differences in kv_entries, episodic_events/);
    const client = new Client({ connectionString: f.pg!.url });
    await client.connect();
    const left = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'memsidecar_verify_%'`).finally(() => client.end());
    expect(left.rows).toEqual([]);
  });
});

describe('log tools - verify and replay of an embedded PGlite deployment', () => {
  const f = serviceFixture('pglite');
  const { memctlOk } = memctlFor(f);
  let target: TestDatabase;

  afterAll(async () => {
    await target?.drop();
  });

  it('verify replays into an in-memory PGlite once the service is stopped; replay --into copies to Postgres', async () => {
    await f.client.ok('kv.put', { ns: 'lite', key: 'a', value: 1 });
    await f.client.ok('kv.put', { ns: 'lite', key: 'a', value: 2 });
    const { seq } = await f.client.ok('episodic.append', { ns: 'lite', type: 'note', payload: { x: 1 } });
    await f.service.stop();

    const verified = await memctlOk('verify');
    expect(verified.stdout).toContain('in-memory PGlite');
    expect(verified.stdout).toContain('identical');

    target = await createTestDatabase();
    expect((await memctlOk('replay', '--into', target.url)).stdout).toContain(`as of seq ${seq}`);
    const rows = await readModelRows(target.url);
    expect(rows.kv_entries.map((r) => JSON.parse(r))).toEqual([expect.objectContaining({ ns: 'lite', key: 'a', value: 2, version: 2 })]);
    expect(rows.episodic_events).toHaveLength(1);
  });
});

/** Every message of the log's stream as stored, payloads undecoded. */
async function rawStream(natsUrl: string): Promise<string> {
  const nc = await connect({ servers: natsUrl });
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get('MEMSIDECAR', { filter_subjects: 'mem.evt.>' });
    const end = (await (await jetstreamManager(nc)).streams.info('MEMSIDECAR')).state.last_seq;
    const messages = await consumer.consume({ max_messages: 1024 });
    let text = '';
    for await (const m of messages) {
      text += `${m.string()}\n`;
      if (m.seq >= end) break;
    }
    await messages.close();
    return text;
  } finally {
    await nc.close();
  }
}
