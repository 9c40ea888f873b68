import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient } from '@memsidecar/testing';
import { countTokens } from '@memsidecar/facts';
import { serviceFixture } from './support/fixture';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');

describe.each(['postgres', 'pglite'] as const)('facts - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind);
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });
  const write = (ns: string, content: string, more: Record<string, unknown> = {}) => client.ok('facts.write', { ns, content, ...more });
  const search = (ns: string, query: string, more: Record<string, unknown> = {}) => client.ok('facts.search', { ns, query, ...more }).then((r) => r.facts);

  it('stores notation lines, refuses anything else with the expected form, and cuts long content', async () => {
    expect(await write('n1', 'C[db.id]: UUID mndtry, nvr autoincrement')).toMatchObject({ status: 'stored', type: 'C', target: 'db.id', truncated: false, pressure: { level: 'ok' } });
    const bad = await client.call('facts.write', { ns: 'n1', content: 'the database uses UUIDs' });
    expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'content' } });
    expect(bad.error!.message).toContain('T[target]: content');
    const long = await write('n1', `V[blob]: ${'x'.repeat(600)}`);
    expect(long).toMatchObject({ truncated: true, warnings: expect.arrayContaining([expect.stringContaining('400')]) });
    expect((await client.ok('facts.export', { ns: 'n1' })).lines).toHaveLength(2);
  });

  it('an identical line is a duplicate; a newer fact on the same type and target supersedes', async () => {
    const first = await write('n2', 'D[auth]: sessions in cookies');
    expect(await write('n2', 'D[auth]: sessions in cookies')).toMatchObject({ id: first.id, status: 'duplicate' });
    const second = await write('n2', 'D[auth]: JWT, 7 day refresh');
    expect(second.superseded).toEqual([first.id]);
    expect((await search('n2', 'auth')).map((x: { content: string }) => x.content)).toEqual(['JWT, 7 day refresh']);
  });

  it('~[t] retires the facts on t; ✓[t] closes the scope it is written in', async () => {
    await write('n3', 'C[cache]: must be redis', { scope: 'perf' });
    const retired = await write('n3', '~[cache]: redis dropped', { scope: 'perf' });
    expect(retired.superseded).toHaveLength(1);
    await write('n3', 'D[login]: magic links', { scope: 'auth-work' });
    const done = await write('n3', '✓[login]: merged', { scope: 'auth-work' });
    expect(done.scope).toBe('auth-work');
    const found = await search('n3', 'login');
    expect(found.every((x: { tier: string }) => x.tier === 'cold')).toBe(true);
  });

  it('search: identifier words match as prefixes, others as phrases, AND-ed; unknown scope is NOT_FOUND', async () => {
    await write('n4', 'V[auth.jwt]: secret rotates weekly');
    await write('n4', 'V[srv.prod]: api.example.com:3005');
    await write('n4', 'C[auth.session]: stateless');
    expect((await search('n4', 'auth')).length).toBe(2);
    expect((await search('n4', 'auth stateless')).map((x: { target: string }) => x.target)).toEqual(['auth.session']);
    expect((await search('n4', 'srv.prod')).map((x: { target: string }) => x.target)).toEqual(['srv.prod']);
    expect((await client.call('facts.search', { ns: 'n4', query: 'auth', scope: 'nope' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await client.call('facts.search', { ns: 'n4', query: 'auth', limit: 21 })).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'limit' } });
  });

  it('tick: closing words cool the session’s scope unless negated; six idle turns cool too', async () => {
    await write('n5', 'D[ui]: dark mode', { scope: 'theme', sessionId: 's1' });
    expect((await client.ok('facts.tick', { ns: 'n5', sessionId: 's1', turn: 1, message: 'not merged yet' })).cooled).toEqual([]);
    expect((await client.ok('facts.tick', { ns: 'n5', sessionId: 's1', turn: 2, message: 'theme is merged' })).cooled).toEqual(['theme']);
    const unscoped = await write('n5', 'V[port]: 8080', { sessionId: 's1' });
    expect(unscoped.scope).toBeNull();
    await write('n5', 'D[api]: rest', { scope: 'api', sessionId: 's1' });
    expect((await client.ok('facts.tick', { ns: 'n5', sessionId: 's1', turn: 9, message: 'hello' })).cooled).toEqual(['api']);
    const reopened = await write('n5', 'D[ui]: light mode too', { scope: 'theme', sessionId: 's1' });
    expect(reopened.scope).toBe('theme');
  });

  it('status returns the prompt block within 180 tokens, also with 500 hot facts', async () => {
    const empty = await client.ok('facts.status', { ns: 'n6' });
    expect(empty.block).toContain('MEMORY_SPEC');
    for (let i = 0; i < 500; i++) await write('n6', `V[k${i}]: ${i}`);
    const status = await client.ok('facts.status', { ns: 'n6' });
    expect(status.hot).toBe(500);
    expect(status.tokens).toBeLessThanOrEqual(180);
    expect(countTokens(status.block)).toBe(status.tokens);
    expect(status.block).toMatch(/\+\d+ more/);
  }, 120_000);

  it('the gauge rises with writes, and at 95 % the least recently used facts move to cold', async () => {
    const levels = new Set<string>();
    let moved = false;
    for (let i = 0; i < 100; i++) {
      const reply = await write('n8', `V[key${i}]: ${'v'.repeat(100)}`);
      levels.add(reply.pressure.level);
      moved ||= reply.warnings.some((w: string) => w.includes('to cold'));
    }
    // Replies report the gauge after relief: it climbs through the levels, and at 95 % relief takes it back under 85 %.
    expect([...levels].sort()).toEqual(['archive', 'merge', 'ok']);
    expect(moved).toBe(true);
    const status = await client.ok('facts.status', { ns: 'n8' });
    expect(status.pressure.pct).toBeLessThan(95);
    expect(status.cold).toBeGreaterThan(0);
    expect((await search('n8', 'key0')).map((x: { tier: string }) => x.tier)).toEqual(['cold']);
  }, 120_000);

  it('reflect groups by type; export and purge follow the rules; replay rebuilds the same store', async () => {
    await write('n7', 'C[deploy]: blue green only');
    await write('n7', 'D[deploy]: argo');
    await write('n7', 'D[deploy]: flux');
    await write('n7', '?[deploy]: canary?');
    const r = await client.ok('facts.reflect', { ns: 'n7', topic: 'deploy' });
    expect(r.groups.constraints).toHaveLength(1);
    expect(r.groups.decisions.map((x: { content: string }) => x.content)).toEqual(['flux']);
    expect(r.groups.unknowns).toHaveLength(1);
    expect(await client.ok('facts.purge', { ns: 'n7', olderThanDays: 1 })).toEqual({ purged: 0 });
    const purged = await client.ok('facts.purge', { ns: 'n7' });
    expect(purged.purged).toBe(1);
    const before = [await client.ok('facts.export', { ns: 'n7' }), await client.ok('facts.search', { ns: 'n3', query: 'login' }), await client.ok('facts.status', { ns: 'n5' })];
    await f.service.stop();
    const env = { ...process.env, MEMSIDECAR_NATS_URL: f.nats.url, MEMSIDECAR_DATA_DIR: f.service.dataDir, ...(f.pg ? { MEMSIDECAR_DATABASE_URL: f.pg.url } : {}) };
    expect((await run(process.execPath, [MEMCTL, 'projections', 'rebuild'], { env })).stdout).toMatch(/fact_entries: rebuilt/);
    f.service = await f.service.restart();
    const after = [await client.ok('facts.export', { ns: 'n7' }), await client.ok('facts.search', { ns: 'n3', query: 'login' }), await client.ok('facts.status', { ns: 'n5' })];
    expect(after).toEqual(before);
  });
});
