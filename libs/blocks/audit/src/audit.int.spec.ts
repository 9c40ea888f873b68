import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject, type Block, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { AppliedRequest, Database, BOOKKEEPING_MIGRATIONS, ProjectionCheckpoint, ProjectionRunner } from '@memsidecar/projections';
import { createTestDatabase, openIntegrationInfra, type IntegrationInfra } from '@memsidecar/testing';
import { AuditLogEntry, AuditQueries, auditBlock, auditProjection } from './index';

const logger = { log: () => {}, error: (m: string) => console.error(m) };
const SNAPSHOT = `SELECT seq, tenant, agent, token_id, session_id, block, ns, entity, type, request_id, at FROM audit_log ORDER BY seq`;
/** More than one batch of the runner, so several transactions each insert many rows at once. */
const EVENTS = 1_300;
const AWKWARD = ['quote " and \\ backslash', 'emoji 🧠 and ünïcödé', 'line\nbreak\ttab', '\u2028 separators \u2029', "it's {a,b} NULL"];

function envelopeOf(i: number): EventEnvelope {
  const blocks: Block[] = ['kv', 'episodic', 'session', 'lease', 'auth'];
  const block = blocks[i % blocks.length];
  const at = new Date(Date.UTC(2025, 0, 1, 0, 0, 0, i)).toISOString();
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    type: block === 'kv' ? (i % 2 ? 'kv.value_set' : 'kv.value_deleted') : `${block}.happened`,
    v: 1,
    at,
    tenant: block === 'auth' ? 'memsidecar' : i % 3 ? 'acme' : 'globex',
    agent: `agent-${i % 4}`,
    ...(i % 7 ? { tokenId: `token-${i % 5}` } : {}),
    ...(block !== 'session' && i % 11 === 0 ? { sessionId: 's-1' } : {}),
    block,
    ns: `ns-${i % 3}`,
    entity: block === 'session' ? 's-1' : AWKWARD[i % AWKWARD.length],
    ...(i % 13 === 0 ? { requestId: `req-${i}` } : {}),
    data: { text: AWKWARD[i % AWKWARD.length], nested: { list: [1, null, 'x', { deep: true }], none: null }, n: i },
  };
}

describe.each(['postgres', 'pglite'] as const)('audit - the audit_log read model on %s', (kind) => {
  let infra: IntegrationInfra;
  let log: StoredEvent[];
  const runner = () => new ProjectionRunner(auditProjection, infra.store, infra.db, logger);
  const project = async (...runners: ProjectionRunner[]) => {
    await Promise.all(runners.map((r) => r.start()));
    await Promise.all(runners.map((r) => r.catchUp(60_000)));
    await Promise.all(runners.map((r) => r.stop()));
  };
  const snapshot = () => infra.db.query<Record<string, unknown>>(SNAPSHOT);

  beforeAll(async () => {
    infra = await openIntegrationInfra(kind, { entities: [AuditLogEntry], migrations: auditBlock.migrations });
    for (let i = 0; i < EVENTS; i++) {
      const e = envelopeOf(i);
      await infra.store.js.publish(aggregateSubject('mem', e), JSON.stringify(e));
    }
    log = [];
    for await (const e of infra.store.read({ filter: 'mem.evt.>' })) log.push(e);
    await project(runner());
  }, 120_000);

  afterAll(async () => {
    await infra?.close();
  });

  it('holds every event of every block and tenant, exactly as logged', async () => {
    const page = await new AuditQueries(infra.db, infra.store).page({ includeTokenRecords: true }, EVENTS);
    expect(page).toEqual({ events: log, nextSeq: null });
    const rows = await snapshot();
    expect(rows[0]).toMatchObject({ seq: String(log[0].seq), tenant: 'globex', block: 'kv', type: 'kv.value_deleted', session_id: 's-1', request_id: 'req-0', token_id: null });
    expect(rows.filter((r) => r.block === 'session').every((r) => r.session_id === 's-1')).toBe(true);
  });

  it('replaying from checkpoint 0, or two instances at once, gives the same rows', async () => {
    const before = await snapshot();
    await infra.db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = 'audit_log'`);
    await project(runner());
    expect(await snapshot()).toEqual(before);

    await infra.db.query(`TRUNCATE audit_log`);
    await infra.db.query(`UPDATE mem_checkpoints SET seq = 0 WHERE name = 'audit_log'`);
    await project(runner(), runner());
    expect(await snapshot()).toEqual(before);
  });

  // A bulk load is a Postgres feature (COPY FROM STDIN); PGlite always inserts.
  if (kind === 'postgres') it('a bulk load copies in the same rows, awkward text included, as the inserts write', async () => {
    const scratch = await createTestDatabase();
    const bulk = await Database.open({
      url: scratch.url,
      pgliteDir: 'memory://',
      entities: [ProjectionCheckpoint, AppliedRequest, AuditLogEntry],
      migrations: [...BOOKKEEPING_MIGRATIONS, ...auditBlock.migrations],
      bulkLoad: true,
    });
    try {
      const copied = await bulk.transaction(async (sql) => Boolean(sql.copyRows));
      const loader = new ProjectionRunner(auditProjection, infra.store, bulk, logger);
      await loader.start();
      await loader.catchUp(60_000);
      await loader.stop();
      expect(copied).toBe(true);
      expect(await bulk.query(SNAPSHOT)).toEqual(await snapshot());
    } finally {
      await bulk.close();
      await scratch.drop();
    }
  });

  it('filters as the operation and memctl ask: tenant, token records, types with prefixes, times, sessions', async () => {
    const queries = new AuditQueries(infra.db, infra.store);
    const seqsOf = async (filter: Parameters<AuditQueries['page']>[0]) => (await queries.page(filter, EVENTS)).events.map((e) => e.seq);
    const expected = (keep: (e: StoredEvent) => boolean) => log.filter(keep).map((e) => e.seq);
    expect(await seqsOf({ tenant: 'acme' })).toEqual(expected((e) => e.tenant === 'acme'));
    expect(await seqsOf({ tenant: 'memsidecar' })).toEqual([]);
    expect(await seqsOf({})).toEqual(expected((e) => e.block !== 'auth'));
    expect(await seqsOf({ types: ['kv.*', 'lease.happened'] })).toEqual(expected((e) => e.block === 'kv' || e.type === 'lease.happened'));
    expect(await seqsOf({ types: ['kv_*', 'k%'] })).toEqual([]);
    expect(await seqsOf({ types: [] })).toEqual(expected((e) => e.block !== 'auth'));
    const [since, until] = [log[100].at, log[200].at];
    expect(await seqsOf({ since, until, tenant: 'globex', ns: 'ns-0' })).toEqual(
      expected((e) => e.at >= since && e.at < until && e.tenant === 'globex' && e.ns === 'ns-0' && e.block !== 'auth'),
    );
    expect(await seqsOf({ sessionId: 's-1', agent: 'agent-2' })).toEqual(
      expected((e) => (e.sessionId === 's-1' || e.block === 'session') && e.agent === 'agent-2' && e.block !== 'auth'),
    );
    const page = await queries.page({ tenant: 'acme', block: 'episodic', fromSeq: log[10].seq }, 5);
    const rest = expected((e) => e.tenant === 'acme' && e.block === 'episodic' && e.seq >= log[10].seq);
    expect(page.events.map((e) => e.seq)).toEqual(rest.slice(0, 5));
    expect(page.nextSeq).toBe(rest[5]);
  });
});
