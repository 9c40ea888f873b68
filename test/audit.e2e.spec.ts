import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { NatsTestClient, RunningService } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');
const everything = { namespaces: ['*'], ops: ['*'] };
const inSession = (s: { sessionId: string; sessionToken: string }) => ({ headers: { 'Mem-Session-Id': s.sessionId, 'Mem-Session-Token': s.sessionToken } });
const seqs = (events: StoredEvent[]) => events.map((e) => e.seq);

/**
 * What audit needs a running service for: memctl audit beside it (JSON lines, pages, the table,
 * bad options, every tenant and the token records it issued), rebuilding the audit read model
 * and restarting on it, memctl refused the service's embedded PGlite. audit.query's behaviour
 * (filters, pages, tenants, permissions, bad input, minSeq) is specified in process:
 * test/in-process/audit.spec.ts.
 */
describe('audit - the log of one tenant, filtered and paged, for callers and operators', () => {
  const f = serviceFixture('postgres');
  let alice: NatsTestClient;
  let bob: NatsTestClient;
  let carol: NatsTestClient;
  /** Every event of the log after the writes, oldest first. */
  let log: StoredEvent[];
  /** What tenant acme may see: its own events, never token records. */
  let acme: StoredEvent[];
  const memctl = (...args: string[]) =>
    run(process.execPath, [MEMCTL, ...args], {
      env: { ...process.env, MEMSIDECAR_NATS_URL: f.nats.url, MEMSIDECAR_DATABASE_URL: f.pg!.url, MEMSIDECAR_DATA_DIR: f.service.dataDir },
    });
  const query = (body: object, client = alice) => client.ok<{ events: StoredEvent[]; nextSeq: number | null }>('audit.query', { limit: 1000, ...body });

  beforeAll(async () => {
    alice = f.client.withToken(f.service.token({ tenant: 'acme', agent: 'alice', ...everything }));
    bob = f.client.withToken(f.service.token({ tenant: 'acme', agent: 'bob', ...everything }));
    carol = f.client.withToken(f.service.token({ tenant: 'globex', agent: 'carol', ...everything }));
    // A token record in the log (block auth, pseudo-tenant memsidecar) that no caller may see.
    await memctl('token', 'issue', '--tenant', 'acme', '--agent', 'dave', '--ns', 'kv/*', '--ops', 'kv.get');

    await alice.ok('kv.put', { ns: 'notes', key: 'k1', value: 1 });
    await alice.ok('kv.put', { ns: 'notes', key: 'k1', value: 2 }, { requestId: 'audit-put-2' });
    await bob.ok('episodic.append', { ns: 'chat', type: 'message', payload: { text: 'hi' } });
    await carol.ok('kv.put', { ns: 'notes', key: 'k1', value: 'globex' });
    const session = await alice.ok('session.open', { sessionId: 'audit-s' });
    await alice.ok('kv.put', { ns: 'notes', key: 'k2', value: 'in session' }, inSession(session));
    await alice.ok('episodic.append', { ns: 'chat', type: 'message', payload: 'in session' }, inSession(session));
    await bob.ok('lease.acquire', { ns: 'jobs', key: 'j', ttlMs: 60_000 });
    await carol.ok('episodic.append', { ns: 'chat', type: 'message', payload: 'globex' });
    await alice.ok('session.close', { sessionId: 'audit-s', sessionToken: session.sessionToken });
    await bob.ok('kv.delete', { ns: 'notes', key: 'k1' });
    await alice.ok('facts.write', { ns: 'notes', content: 'D[db]: use postgres' });

    log = await f.logOf('mem.evt.>');
    acme = log.filter((e) => e.tenant === 'acme' && e.block !== 'auth');
    // Reads below wait for the whole log, whoever wrote it.
    await query({ minSeq: log.at(-1)!.seq });
  });

  describe('memctl audit', () => {
    const lines = (stdout: string) => stdout.trim().split('\n').filter(Boolean);
    const json = async (...args: string[]) => lines((await memctl('audit', '--json', '--limit', '1000', ...args)).stdout).map((l) => JSON.parse(l) as StoredEvent);
    let everyEvent: StoredEvent[];

    beforeAll(async () => {
      everyEvent = await f.logOf('mem.evt.>');
    });

    it('--json: one envelope per line with seq; without --tenant every tenant and the token records', async () => {
      const [since, until] = [acme[2].at, acme[6].at];
      const cases: [string[], (e: StoredEvent) => boolean][] = [
        [[], () => true],
        [['--tenant', 'acme'], (e) => e.tenant === 'acme'],
        [['--tenant', 'memsidecar', '--block', 'auth'], (e) => e.block === 'auth'],
        [['--tenant', 'acme', '--agent', 'bob', '--types', 'kv.*,lease.*'], (e) => e.tenant === 'acme' && e.agent === 'bob' && /^(kv|lease)\./.test(e.type)],
        [['--ns', 'chat', '--since', since], (e) => e.ns === 'chat' && Date.parse(e.at) >= Date.parse(since)],
        [['--from-seq', String(acme[4].seq), '--until', until, '--tenant', 'acme'], (e) => e.tenant === 'acme' && e.seq >= acme[4].seq && Date.parse(e.at) < Date.parse(until)],
      ];
      const printed = await Promise.all(cases.map(([args]) => json(...args)));
      cases.forEach(([args, keep], i) => expect(printed[i], args.join(' ')).toEqual(everyEvent.filter(keep)));
    });

    it('pages with --limit and says where the next page starts', async () => {
      const { stdout, stderr } = await memctl('audit', '--json', '--limit', '2', '--tenant', 'globex');
      expect(lines(stdout).map((l) => JSON.parse(l).seq)).toEqual(seqs(everyEvent.filter((e) => e.tenant === 'globex')));
      expect(stderr).not.toContain('more events follow');
      const first = await memctl('audit', '--json', '--limit', '2', '--tenant', 'acme');
      expect(first.stderr).toContain(`more events follow: --from-seq ${acme[2].seq}`);
    });

    it('a table for people: seq, time, tenant, agent, type, where, session', async () => {
      const { stdout } = await memctl('audit', '--tenant', 'acme', '--session', 'audit-s');
      const [header, ...rows] = lines(stdout);
      expect(header.split(/\s{2,}/)).toEqual(['SEQ', 'AT', 'TENANT', 'AGENT', 'TYPE', 'BLOCK/NS/ENTITY', 'SESSION']);
      const expected = acme.filter((e) => e.sessionId === 'audit-s' || (e.block === 'session' && e.entity === 'audit-s'));
      expect(rows.map((r) => r.split(/\s+/))).toEqual(expected.map((e) => [String(e.seq), e.at, 'acme', e.agent, e.type, `${e.block}/${e.ns}/${e.entity}`, 'audit-s']));
    });

    it('bad options name the option and exit 2', async () => {
      const cases: [string[], string][] = [
        [['--limit', 'many'], '--limit'],
        [['--limit', '5000'], '--limit'],
        [['--types', 'kv.*x'], '--types'],
        [['--since', 'yesterday'], '--since'],
        [['--block', 'nope'], '--block'],
        [['--session'], '--session'],
      ];
      const failures = await Promise.all(cases.map(([args]) => memctl('audit', ...args).then(() => null, (e: { code: number; stderr: string }) => e)));
      cases.forEach(([args, named], i) => expect(failures[i], args.join(' ')).toMatchObject({ code: 2, stderr: expect.stringContaining(named) }));
    });
  });

  it('memctl projections rebuild reproduces the audit_log rows', async () => {
    const rows = async () => {
      const pg = new Client({ connectionString: f.pg!.url });
      await pg.connect();
      try {
        return (await pg.query(`SELECT seq, tenant, agent, token_id, session_id, block, ns, entity, type, request_id, at FROM audit_log ORDER BY seq`)).rows;
      } finally {
        await pg.end();
      }
    };
    const [before, everyEvent] = [await rows(), await f.logOf('mem.evt.>')];
    expect(before.map((r) => Number(r.seq))).toEqual(seqs(everyEvent));
    await f.service.stop();
    const { stdout } = await memctl('projections', 'rebuild');
    expect(stdout).toContain('audit_log');
    expect(await rows()).toEqual(before);
    f.service = await f.service.restart();
    const client = f.client.withToken(f.service.token({ tenant: 'acme', agent: 'alice', ...everything }));
    expect((await query({}, client)).events).toEqual(everyEvent.filter((e) => e.tenant === 'acme' && e.block !== 'auth'));
  });
});

describe('audit - memctl beside a service on its embedded PGlite', () => {
  let dataDir: string;
  let service: RunningService;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'memsidecar-audit-'));
    service = await RunningService.start({ natsUrl: '', dataDir });
  });
  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to open the database the service owns', async () => {
    const env = { ...process.env, MEMSIDECAR_DATA_DIR: dataDir, MEMSIDECAR_NATS_URL: '', MEMSIDECAR_DATABASE_URL: '' };
    const failed = await run(process.execPath, [MEMCTL, 'audit'], { env }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('embedded PGlite') });
  });
});
