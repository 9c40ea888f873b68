import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMemError, systemClock } from '@memsidecar/core';
import { Authenticator, Dispatcher, type BlockDependencies } from '@memsidecar/api';
import { loadConfig } from '@memsidecar/config';
import { MAX_PREPARED_STATEMENTS } from '@memsidecar/projections';
import { BLOCKS, Infrastructure } from '@memsidecar/platform';
import { createTestDatabase, startTestNats, type TestDatabase, type TestNats } from '@memsidecar/testing';

/**
 * Named prepared statements stay on every pooled connection for good, so their number must not
 * depend on what callers send: limits, topK, vector dimensions, numbers of query words, predicates
 * and filters all vary below, valid and hostile, through every operation, in-process. After a
 * warm-up that has taken every code path once, the number of named statements must not grow.
 */

/** A small seeded generator, so that a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)];
  const chance = (p: number): boolean => next() < p;
  const word = (): string => pick(['alpha', 'beta', 'gamma', 'delta', 'auth', 'jwt', 'db', 'x', 'q1', 'vector', 'limit', 'drop']);
  return { next, int, pick, chance, word };
}
type Random = ReturnType<typeof random>;

/** Values that break naive handlers (as in the hostile-input suite). */
const NASTY: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53, -(2 ** 63), NaN, '', ' ', '\u0000', '🙂', 'a.b.>', '*', '>', '../../etc/passwd', "'; DROP TABLE kv_entries; --", '$1', 'x'.repeat(5_000), [], ['a'], {}, { a: 'b' }, [[1]], 1e308];
const FIELDS = ['ns', 'key', 'keys', 'value', 'ttlMs', 'metadata', 'type', 'payload', 'limit', 'afterCursor', 'beforeCursor', 'id', 'ids', 'data', 'records', 'queryText', 'queryVector', 'topK', 'mode', 'content', 'scope', 'sessionId', 'holderId', 'action', 'maxRows', 'filter', 'predicates', 'turn', 'query', 'types', 'since', 'fromSeq', 'prefix', 'startAfter', 'status'];
/** Dimensions of caller-given vectors, one namespace each (a namespace keeps its first dimension). */
const DIMENSIONS = [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];
const DAY = 86_400_000;

const iso = (r: Random): string => new Date(Date.UTC(2025, 0, 1) + r.int(-400, 400) * DAY).toISOString();
const vector = (r: Random, dim: number): number[] => Array.from({ length: dim }, () => Math.round((r.next() * 2 - 1) * 1000) / 1000 || 0.5);
const words = (r: Random, n: number): string => Array.from({ length: n }, () => (r.chance(0.3) ? `${r.word()}.${r.word()}` : r.word())).join(' ');
const metadata = (r: Random): Record<string, string> => Object.fromEntries(Array.from({ length: r.int(0, 4) }, () => [r.pick(['k', 'team', 'n', 'x', r.word()]), String(r.pick([r.int(0, 50), r.word()]))]));
const some = <T extends object>(r: Random, fields: T): Partial<T> => Object.fromEntries(Object.entries(fields).filter(() => r.chance(0.5))) as Partial<T>;

function predicate(r: Random): Record<string, unknown> {
  const field = r.pick(['n', 'team', 'k', r.word()]);
  const op = r.pick(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in']);
  if (op === 'in') return { field, op, value: Array.from({ length: r.int(1, 8) }, () => String(r.int(0, 20))) };
  if (op === 'eq' || op === 'neq') return { field, op, value: r.pick([r.word(), r.int(0, 50), r.chance(0.5)]) };
  return { field, op, value: r.int(-100, 100) / r.int(1, 7) };
}

/** Valid requests whose texts would differ if values went into them. */
function validRequests(r: Random): [string, Record<string, unknown>][] {
  const dim = r.pick(DIMENSIONS);
  const ns = r.pick(['a', 'b', 'c']);
  const requests: [string, Record<string, unknown>][] = [
    ['kv.put', { ns, key: `k${r.int(0, 30)}`, value: { n: r.int(0, 9) }, ...(r.chance(0.3) ? { ttlMs: r.int(1_000, 100_000) } : {}), metadata: metadata(r) }],
    ['kv.get', { ns, key: `k${r.int(0, 30)}` }],
    ['kv.mget', { ns, keys: Array.from({ length: r.int(1, 20) }, () => `k${r.int(0, 30)}`) }],
    ['kv.list', { ns, limit: r.int(1, 1000), includeValues: r.chance(0.5), ...some(r, { prefix: 'k1', startAfter: 'k0' }) }],
    ['kv.delete', { ns, key: `k${r.int(0, 30)}` }],
    ['episodic.append', { ns, type: r.pick(['note', 'msg']), payload: { w: r.word() }, ...some(r, { role: 'user', sessionId: 's1', dedupKey: `d${r.int(0, 10)}`, metadata: metadata(r) }) }],
    [
      'episodic.range',
      {
        ns,
        limit: r.int(1, 1000),
        ...some(r, { afterCursor: r.int(0, 20), beforeCursor: r.int(1, 40), after: iso(r), before: iso(r), sessionId: 's1', role: 'user', type: 'note', includeDeleted: r.chance(0.5), reverse: r.chance(0.5) }),
      },
    ],
    ['episodic.expire', { ns, action: r.pick(['soft', 'hard']), maxRows: r.int(1, 10_000), ...(r.chance(0.5) ? { beforeCursor: r.int(1, 5) } : { before: '2000-01-01T00:00:00Z' }) }],
    ['semantic.upsert', { ns: `d${dim}`, records: Array.from({ length: r.int(1, 5) }, () => ({ id: `r${r.int(0, 20)}`, vector: vector(r, dim), metadata: metadata(r) })) }],
    ['semantic.upsert', { ns: 'text', records: Array.from({ length: r.int(1, 3) }, () => ({ id: `t${r.int(0, 20)}`, content: words(r, r.int(1, 8)), metadata: metadata(r) })) }],
    [
      'semantic.search',
      {
        ns: `d${dim}`,
        queryVector: vector(r, dim),
        topK: r.int(1, 1000),
        ...(r.chance(0.5) ? { filter: metadata(r) } : {}),
        ...(r.chance(0.6) ? { predicates: Array.from({ length: r.int(1, 12) }, () => predicate(r)) } : {}),
        ...some(r, { createdAfter: iso(r), createdBefore: iso(r), asOf: iso(r), includeInvalidated: r.chance(0.5), minScore: -1 }),
      },
    ],
    ['semantic.search', { ns: `d${dim}`, queryVector: vector(r, dim), topK: r.int(1, 1000), ...(r.chance(0.5) ? { predicates: [predicate(r)] } : {}) }],
    [
      'semantic.search',
      {
        ns: 'text',
        queryText: words(r, r.int(1, 12)),
        mode: r.pick(['dense', 'sparse', 'hybrid']),
        topK: r.int(1, 1000),
        ...(r.chance(0.5) ? { filter: metadata(r) } : {}),
        ...(r.chance(0.5) ? { predicates: Array.from({ length: r.int(1, 12) }, () => predicate(r)) } : {}),
      },
    ],
    ['semantic.delete', { ns: r.pick([`d${dim}`, 'text']), ids: Array.from({ length: r.int(1, 10) }, () => `r${r.int(0, 40)}`), hard: r.chance(0.5) }],
    ['semantic.expire', { ns: r.pick([`d${dim}`, 'text']), filter: metadata(r), action: r.pick(['invalidate', 'soft', 'hard']), maxRows: r.int(1, 10_000) }],
    ['lease.acquire', { ns, key: `l${r.int(0, 5)}`, ttlMs: r.int(1_000, 60_000) }],
    ['lease.inspect', { ns, key: `l${r.int(0, 5)}` }],
    ['lease.list', { ns, ...some(r, { prefix: 'l' }) }],
    ['session.open', {}],
    ['session.get', { sessionId: `s${r.int(0, 3)}` }],
    ['facts.write', { content: `${r.pick(['C', 'D', 'V', '?', '✓', '~'])}[${r.pick(['auth', 'db', 'ui'])}]: ${words(r, r.int(1, 5))}`, ...some(r, { scope: r.pick(['s1', 's2']) }) }],
    ['facts.search', { query: words(r, r.int(1, 12)), limit: r.int(1, 20), ...some(r, { scope: r.pick(['s1', 's2']) }) }],
    ['facts.status', {}],
    ['facts.export', { ...some(r, { status: r.pick(['active', 'cold', 'all']), scope: r.pick(['s1', 's2']) }) }],
    ['facts.reflect', { topic: words(r, r.int(1, 6)), limit: r.int(1, 20) }],
    ['facts.purge', { ...some(r, { olderThanDays: r.int(0, 2), scope: r.pick(['s1', 's2']) }) }],
    ['facts.tick', { sessionId: `s${r.int(0, 3)}`, turn: r.int(0, 50), message: words(r, r.int(1, 6)) }],
    ['artifact.put', { ns, id: `f${r.int(0, 10)}`, data: Buffer.from(words(r, 3)).toString('base64'), metadata: metadata(r) }],
    ['artifact.stat', { ns, id: `f${r.int(0, 10)}` }],
    ['artifact.list', { ns, limit: r.int(1, 1000), ...some(r, { prefix: 'f', startAfter: 'f0', filter: metadata(r) }) }],
    ['artifact.delete', { ns, id: `f${r.int(0, 10)}` }],
    [
      'audit.query',
      {
        limit: r.int(1, 1000),
        ...some(r, { ns, fromSeq: r.int(0, 50), since: iso(r), until: iso(r), block: r.pick(['kv', 'semantic', 'facts']), agent: 'anonymous', sessionId: 's1', types: [r.pick(['kv.*', 'semantic.records_upserted', 'x'])] }),
      },
    ],
  ];
  return requests;
}

/** One field of a valid request broken, or a body of nasty fields. */
function hostileRequests(r: Random, operations: string[], n: number): [string, unknown][] {
  const valid = validRequests(r);
  return Array.from({ length: n }, () => {
    if (r.chance(0.5)) {
      const [op, body] = r.pick(valid);
      return [op, { ...body, [r.pick([...Object.keys(body), ...FIELDS])]: r.pick(NASTY) }];
    }
    return [r.pick(operations), Object.fromEntries(Array.from({ length: r.int(0, 6) }, () => [r.pick(FIELDS), r.pick(NASTY)]))];
  });
}

// Postgres (here without pgvector: exact search) and PGlite (pgvector's HNSW path for the embedded namespace).
describe.each(['postgres', 'pglite'] as const)('prepared statements - what callers send never adds named statements (%s)', (kind) => {
  let nats: TestNats;
  let pg: TestDatabase | undefined;
  let dataDir: string;
  let infra: Infrastructure;
  let dispatcher: Dispatcher;
  let operations: string[];
  const internalErrors: string[] = [];
  const outcomes = new Map<string, number>();

  beforeAll(async () => {
    nats = await startTestNats();
    pg = kind === 'postgres' ? await createTestDatabase() : undefined;
    dataDir = mkdtempSync(join(tmpdir(), 'memsidecar-prepared-'));
    const config = loadConfig(
      {
        MEMSIDECAR_NATS_URL: nats.url,
        ...(pg ? { MEMSIDECAR_DATABASE_URL: pg.url } : {}),
        MEMSIDECAR_DATA_DIR: dataDir,
        MEMSIDECAR_AUTH: 'none',
        MEMSIDECAR_EMBEDDER: 'hashing',
        MEMSIDECAR_READ_WAIT_MS: '2000',
      },
      undefined,
    );
    const logger = { log: () => {}, warn: () => {}, error: (m: string) => console.error(m) };
    infra = await Infrastructure.start(config, BLOCKS, logger);
    const deps: BlockDependencies = {
      runtime: infra.runtime,
      readModels: infra.readModels,
      db: infra.db,
      store: infra.log.store,
      jetStream: infra.log.store,
      limits: config.limits,
      erasure: infra.erasure,
      config,
      instanceId: 'prepared-statements-spec',
      clock: systemClock,
      logger,
    };
    dispatcher = new Dispatcher(new Authenticator('none', []), systemClock, {
      observe: () => {},
      internalError: (op, _id, e) => void internalErrors.push(`${op}: ${(e as Error)?.stack ?? String(e)}`),
    });
    for (const block of BLOCKS) dispatcher.register(block.operations(deps));
    operations = dispatcher.names.filter((op) => !dispatcher.isStreaming(op));
  }, 120_000);

  afterAll(async () => {
    await infra?.stop();
    await pg?.drop();
    await nats?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends each request; any contract error is fine, INTERNAL (an unexpected error) is not. */
  async function send(requests: [string, unknown][]): Promise<void> {
    let n = 0;
    for (const [op, body] of requests) {
      const code = await dispatcher.dispatch(op, body as Record<string, unknown>, { requestId: `r-${Date.now()}-${++n}-${Math.random()}` }, 'test').then(
        () => 'OK',
        (e) => {
          if (!isMemError(e) || e.code === 'INTERNAL') internalErrors.push(`${op} ${JSON.stringify(body).slice(0, 300)} -> ${String(e)}`);
          return isMemError(e) ? e.code : 'INTERNAL';
        },
      );
      outcomes.set(`${op} ${code}`, (outcomes.get(`${op} ${code}`) ?? 0) + 1);
    }
  }

  /** A round: valid requests with varied values (reads then see the writes before), then hostile ones. */
  async function round(seed: number): Promise<void> {
    const r = random(seed);
    for (let i = 0; i < 6; i++) {
      await send(validRequests(r));
      await infra.readModels.catchUp(60_000);
    }
    await send(hostileRequests(r, operations, 120));
    await infra.readModels.catchUp(60_000);
  }

  const named = (): string[] => [...(infra.db as unknown as { statementNames: Map<string, string> }).statementNames.keys()];

  it('does not grow the number of named statements after a warm-up, whatever the values sent', async () => {
    for (let seed = 1; seed <= 4; seed++) await round(seed);
    const warm = named();
    expect(warm.length).toBeGreaterThan(0);

    for (let seed = 1001; seed <= 1008; seed++) await round(seed);
    const grown = named().filter((sql) => !warm.includes(sql));
    expect(grown, `named statements added after the warm-up:\n${grown.join('\n---\n')}`).toEqual([]);
    expect(infra.db.preparedStatementCount).toBe(warm.length);
    expect(infra.db.preparedStatementCount).toBeLessThan(MAX_PREPARED_STATEMENTS / 2);
    expect(internalErrors, internalErrors.join('\n')).toEqual([]);
    // Not vacuous: the reads whose texts used to carry values did run, many times each.
    for (const op of ['kv.list', 'episodic.range', 'episodic.expire', 'semantic.search', 'semantic.expire', 'facts.search', 'facts.export', 'audit.query', 'artifact.list']) {
      expect(outcomes.get(`${op} OK`) ?? 0, `${op} answered OK`).toBeGreaterThan(20);
    }
  }, 300_000);
});
