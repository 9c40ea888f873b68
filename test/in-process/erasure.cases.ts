import { beforeAll, describe, expect, it } from 'vitest';
import type { BlockDefinition } from '@memsidecar/api';
import { artifactBlock } from '@memsidecar/artifact';
import { auditBlock } from '@memsidecar/audit';
import { episodicBlock } from '@memsidecar/episodic';
import { factsBlock } from '@memsidecar/facts';
import { graphBlock } from '@memsidecar/graph';
import { kvBlock } from '@memsidecar/kv';
import { semanticBlock } from '@memsidecar/semantic';
import type { StoredEvent } from '@memsidecar/core';
import { AppliedRequest, BOOKKEEPING_MIGRATIONS, Database, ProjectionCheckpoint, ProjectionRunner, withRequestLedger } from '@memsidecar/projections';
import { createTestDatabase, type Caller, type InProcessService } from '@memsidecar/testing';
import type { InProcessDatabase, InProcessCases } from '../support/in-process';

const acme: Caller = { tenant: 'acme', agent: 'alice', namespaces: ['*'], ops: ['*'] };
const globex: Caller = { tenant: 'globex', agent: 'carol', namespaces: ['*'], ops: ['*'] };
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** One memory of every kind in a namespace: what an erasure must leave nothing of. */
async function remember(svc: InProcessService, ns: string, principal: Caller, secret: string): Promise<void> {
  await svc.ok('kv.put', { ns, key: 'profile', value: { email: `${secret}@example.com` } }, { principal });
  await svc.ok('episodic.append', { ns, type: 'message', payload: { text: `my name is ${secret}` } }, { principal });
  await svc.ok('semantic.upsert', { ns, records: [{ id: 'bio', content: `${secret} lives in Lisbon and likes sailing` }] }, { principal });
  await svc.ok('facts.write', { ns, content: `D[user.name]: ${secret}` }, { principal });
  await svc.ok('artifact.put', { ns, id: 'cv.txt', contentType: 'text/plain', data: b64(`curriculum of ${secret}`) }, { principal });
  await svc.ok('graph.upsert', { ns, nodes: [{ id: 'me', props: { name: secret } }, { id: 'lisbon' }], edges: [{ id: 'lives', type: 'lives_in', from: 'me', to: 'lisbon' }] }, { principal });
}

/** What every read of the namespace returns, as one comparable object. */
async function readBack(svc: InProcessService, ns: string, principal: Caller) {
  const o = { principal };
  const artifact = await svc.when('artifact.get', { ns, id: 'cv.txt' }, o);
  return {
    kv: (await svc.ok('kv.get', { ns, key: 'profile' }, o)).found,
    episodic: (await svc.ok('episodic.range', { ns }, o)).events.length,
    semantic: (await svc.ok('semantic.search', { ns, queryText: 'Lisbon sailing', mode: 'sparse' }, o)).hits.length,
    facts: (await svc.ok('facts.search', { ns, query: 'user' }, o)).facts.length,
    artifact: artifact.ok,
    graph: (await svc.ok('graph.traverse', { ns, startId: 'me' }, o)).nodes.length,
  };
}

const everything = { kv: true, episodic: 1, semantic: 1, facts: 1, artifact: true, graph: 2 };
const nothing = { kv: false, episodic: 0, semantic: 0, facts: 0, artifact: false, graph: 0 };

/**
 * audit.erase through the dispatcher, the log's sealing and every read model, in one process;
 * declared on PGlite (erasure.spec.ts) and on Postgres (erasure.int.spec.ts). After an erasure,
 * the read models rebuilt from the log into a fresh database hold nothing of the subject either.
 */
export const erasureCases =
  (database: InProcessDatabase, blocks: BlockDefinition[]): InProcessCases =>
  (service) => {
    let svc: InProcessService;
    let receipt: any;
    let before: StoredEvent[];

    beforeAll(async () => {
      svc = service();
      await remember(svc, 'gone', acme, 'Zanzibar');
      await remember(svc, 'kept', acme, 'Quixote');
      await remember(svc, 'gone', globex, 'Orinoco');
      before = await events(svc, 'acme', 'gone');
      receipt = await svc.ok('audit.erase', { subject: { tenant: 'acme', ns: 'gone' } }, { principal: acme });
    });

    it('returns a receipt: the key destroyed, the events now erased by sequence, the rows and blobs deleted', async () => {
      expect(receipt.subject).toEqual({ tenant: 'acme', ns: 'gone' });
      expect(receipt.keys).toHaveLength(1);
      expect(receipt.events.count).toBe(before.length);
      const listed = receipt.events.ranges.flatMap(({ from, to }: { from: number; to: number }) => Array.from({ length: to - from + 1 }, (_, i) => from + i));
      expect(listed).toEqual(before.map((e) => e.seq));
      expect(receipt.rows).toMatchObject({ kv_entries: 1, episodic_events: 1, semantic_records: 1, fact_entries: 1, artifact_entries: 1, graph_nodes: 2, graph_edges: 1 });
      expect(receipt.rows.audit_log).toBe(before.length);
      expect(receipt.blobs).toBe(1);
      expect(receipt.seq).toBeGreaterThan(before.at(-1)!.seq);
    });

    it('leaves nothing of the subject to any read, and everything of other namespaces and tenants', async () => {
      expect(await readBack(svc, 'gone', acme)).toEqual(nothing);
      expect(await readBack(svc, 'kept', acme)).toEqual(everything);
      expect(await readBack(svc, 'gone', globex)).toEqual(everything);
    });

    it('tails nothing of the erased namespace from its first cursor, and the kept one as before', async () => {
      const kept = await svc.stream('episodic.tail', { ns: 'kept', afterCursor: 0, maxEvents: 1, maxMs: 1_000 }, { principal: acme });
      expect(kept.items).toHaveLength(1);
      const gone = svc.stream('episodic.tail', { ns: 'gone', afterCursor: 0, maxEvents: 1, maxMs: 1_000 }, { principal: acme });
      // The tail waits on the clock for its deadline once it follows the live log.
      await svc.idle(1);
      await svc.clock.advance(1_000);
      expect((await gone).items).toEqual([]);
    });

    it('reads the subject’s events in the log as erased, payload gone, envelope kept', async () => {
      const after = await events(svc, 'acme', 'gone');
      const erased = after.filter((e) => e.seq <= before.at(-1)!.seq);
      expect(erased.map((e) => e.seq)).toEqual(before.map((e) => e.seq));
      for (const e of erased) expect(e).toMatchObject({ erased: true, data: null, tenant: 'acme', ns: 'gone' });
      const log = JSON.stringify(await all(svc));
      expect(log).not.toContain('Zanzibar');
      expect(log).toContain('Quixote');
    });

    it('keeps the receipt in the audit log, and nothing else of the subject', async () => {
      const { events: audited } = await svc.ok('audit.query', { ns: 'gone', minSeq: receipt.seq }, { principal: acme });
      expect(audited).toMatchObject([{ type: 'audit.subject_erased', seq: receipt.seq, data: { keys: receipt.keys, events: receipt.events } }]);
    });

    describe('rebuilt from the log into a fresh database', () => {
      it('holds nothing of the subject, and the rest as before', async () => {
        const counts = await rebuiltCounts(svc, database, blocks);
        expect(counts.gone).toBe(0);
        expect(counts.kept).toBeGreaterThanOrEqual(8);
        expect(counts.otherTenant).toBeGreaterThanOrEqual(8);
      });
    });

    it('takes new writes to the namespace afterwards, under a new key', async () => {
      await svc.ok('kv.put', { ns: 'gone', key: 'profile', value: 'fresh start' }, { principal: acme });
      expect(await svc.ok('kv.get', { ns: 'gone', key: 'profile' }, { principal: acme })).toMatchObject({ found: true, value: 'fresh start', version: 1 });
      const newest = (await events(svc, 'acme', 'gone')).at(-1) as StoredEvent & { erased?: true };
      expect(newest.erased).toBeUndefined();
      await svc.ok('kv.delete', { ns: 'gone', key: 'profile' }, { principal: acme });
    });

    it("refuses another tenant's subject and a malformed one, changing nothing", async () => {
      const size = svc.log.size;
      expect(await svc.when('audit.erase', { subject: { tenant: 'globex', ns: 'gone' } }, { principal: acme })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
      expect(await svc.when('audit.erase', { subject: { ns: 'gone' } }, { principal: acme })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'subject.tenant' } } });
      expect(await svc.when('audit.erase', {}, { principal: acme })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'subject' } } });
      const narrow = { tenant: 'acme', agent: 'alice', namespaces: ['audit/other'], ops: ['audit.erase'] };
      expect(await svc.when('audit.erase', { subject: { tenant: 'acme', ns: 'gone' } }, { principal: narrow })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
      expect(svc.log.size).toBe(size);
      expect(await readBack(svc, 'gone', globex)).toEqual(everything);
    });

    it('erases a whole tenant: every namespace of it, nothing of another tenant', async () => {
      const whole = await svc.ok('audit.erase', { subject: { tenant: 'acme' } }, { principal: acme });
      expect(whole.keys.length).toBeGreaterThanOrEqual(1);
      expect(await readBack(svc, 'kept', acme)).toEqual(nothing);
      expect(await readBack(svc, 'gone', globex)).toEqual(everything);
      expect(JSON.stringify(await all(svc))).not.toContain('Quixote');
    });
  };

async function all(svc: InProcessService): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of svc.log.read()) out.push(e);
  return out;
}

/** Events of a tenant's namespace in any block but audit (the receipts). */
const events = async (svc: InProcessService, tenant: string, ns: string) => (await all(svc)).filter((e) => e.tenant === tenant && e.ns === ns && e.block !== 'audit');

/** Rows of each subject in every read-model table of a database rebuilt from the log. */
async function rebuiltCounts(svc: InProcessService, database: InProcessDatabase, blocks: BlockDefinition[]) {
  const pg = database === 'postgres' ? await createTestDatabase() : undefined;
  const db = await Database.open({
    url: pg?.url,
    pgliteDir: 'memory://',
    entities: [ProjectionCheckpoint, AppliedRequest, ...blocks.flatMap((b) => b.entities)],
    migrations: [...BOOKKEEPING_MIGRATIONS, ...blocks.flatMap((b) => b.migrations)],
  });
  try {
    const quiet = { log: () => {}, warn: () => {}, error: () => {} };
    const projections = withRequestLedger(blocks.flatMap((b) => b.projections)).filter((p) => !p.envelopesOnly);
    for (const p of projections) {
      const runner = new ProjectionRunner(p, svc.log, db, quiet);
      await runner.start();
      await runner.catchUp(30_000);
      await runner.stop();
    }
    const tables = projections.flatMap((p) => p.tables);
    const count = async (tenant: string, ns: string) => {
      let n = 0;
      for (const table of tables) {
        const columns = await db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, [table]);
        if (!columns.some((c) => c.column_name === 'ns') || !columns.some((c) => c.column_name === 'tenant')) continue;
        n += Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE tenant = $1 AND ns = $2 AND ${table === 'audit_log' ? `type <> 'audit.subject_erased'` : 'true'}`, [tenant, ns]))[0].n);
      }
      return n;
    };
    return { gone: await count('acme', 'gone'), kept: await count('acme', 'kept'), otherTenant: await count('globex', 'gone') };
  } finally {
    await db.close();
    await pg?.drop();
  }
}

export const ERASURE_BLOCKS: BlockDefinition[] = [auditBlock, kvBlock, episodicBlock, semanticBlock, factsBlock, artifactBlock, graphBlock];
