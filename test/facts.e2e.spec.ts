import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const run = promisify(execFile);
const MEMCTL = resolve(__dirname, '..', 'bin', 'memctl.js');

/**
 * What facts needs a running service for: `memctl projections rebuild` against the stopped
 * service's store, and a restart that serves the same facts. Its behaviour (notation, duplicates
 * and supersedes, scopes and ticks, search, status and the pressure gauge, reflect, export and
 * purge) is specified in process: test/in-process/facts.spec.ts.
 */
describe.each(['postgres', 'pglite'] as const)('facts - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind);
  let client: NatsTestClient;
  beforeAll(() => {
    client = f.client;
  });
  const write = (ns: string, content: string, more: Record<string, unknown> = {}) => client.ok('facts.write', { ns, content, ...more });

  it('replaying the log rebuilds the same store: superseded and purged facts, closed scopes, cooled sessions', async () => {
    await write('n3', 'C[cache]: must be redis', { scope: 'perf' });
    await write('n3', '~[cache]: redis dropped', { scope: 'perf' });
    await write('n3', 'D[login]: magic links', { scope: 'auth-work' });
    await write('n3', '✓[login]: merged', { scope: 'auth-work' });
    await write('n5', 'D[ui]: dark mode', { scope: 'theme', sessionId: 's1' });
    await client.ok('facts.tick', { ns: 'n5', sessionId: 's1', turn: 2, message: 'theme is merged' });
    await write('n5', 'V[port]: 8080', { sessionId: 's1' });
    await write('n5', 'D[api]: rest', { scope: 'api', sessionId: 's1' });
    await client.ok('facts.tick', { ns: 'n5', sessionId: 's1', turn: 9, message: 'hello' });
    await write('n7', 'C[deploy]: blue green only');
    await write('n7', 'D[deploy]: argo');
    await write('n7', 'D[deploy]: flux');
    await write('n7', '?[deploy]: canary?');
    expect(await client.ok('facts.purge', { ns: 'n7' })).toMatchObject({ purged: 1 });
    const before = [await client.ok('facts.export', { ns: 'n7' }), await client.ok('facts.search', { ns: 'n3', query: 'login' }), await client.ok('facts.status', { ns: 'n5' })];
    await f.service.stop();
    const env = { ...process.env, MEMSIDECAR_NATS_URL: f.nats.url, MEMSIDECAR_DATA_DIR: f.service.dataDir, ...(f.pg ? { MEMSIDECAR_DATABASE_URL: f.pg.url } : {}) };
    expect((await run(process.execPath, [MEMCTL, 'projections', 'rebuild'], { env })).stdout).toMatch(/fact_entries: rebuilt/);
    f.service = await f.service.restart();
    const after = [await client.ok('facts.export', { ns: 'n7' }), await client.ok('facts.search', { ns: 'n3', query: 'login' }), await client.ok('facts.status', { ns: 'n5' })];
    expect(after).toEqual(before);
  });
});
