import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { InProcessService, WhenOptions } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';


/** The environment these cases expect: the hashing embedder, artifacts in a directory of their own. */
export function tenantIsolationEnv(): Record<string, string> {
  return { MEMSIDECAR_EMBEDDER: 'hashing', MEMSIDECAR_ARTIFACT_STORE: `fs:${mkdtempSync(join(tmpdir(), 'memsidecar-isolation-'))}` };
}

type Body = Record<string, unknown>;

/**
 * Tenant A writes into every block; tenant B, with an all-ops token of its own, must see none of it.
 * Every block (libs/platform's list) through the dispatcher, in one process over the in-memory
 * log, on a manual clock; declared on PGlite (tenant-isolation.spec.ts) and on Postgres
 * (tenant-isolation.int.spec.ts).
 */
export const tenantIsolationCases: InProcessCases = (service) => {
  let svc: InProcessService;
  const seen: Record<string, any> = {};
  /** Every operation tenant B runs, so the last case can check that none was left out. */
  const usedByB = new Set<string>();

  const as = (tenant: string, agent: string, record: boolean) => {
    const options = (o: Omit<WhenOptions, 'principal'> = {}): WhenOptions => ({ ...o, principal: { tenant, agent, namespaces: ['*'], ops: ['*'] } });
    const note = (op: string) => void (record && usedByB.add(op));
    return {
      ok: (op: string, body: Body, o?: Omit<WhenOptions, 'principal'>) => (note(op), svc.ok(op, body, options(o))),
      when: (op: string, body: Body, o?: Omit<WhenOptions, 'principal'>) => (note(op), svc.when(op, body, options(o))),
      stream: (op: string, body: Body) => (note(op), svc.stream(op, body, options())),
    };
  };
  const a = as('alpha', 'a', false);
  const b = as('beta', 'b', true);

  beforeAll(async () => {
    svc = service();
    seen.kv = await a.ok('kv.put', { ns: 'shared', key: 'secret', value: 'alpha-only' });
    seen.event = await a.ok('episodic.append', { ns: 'shared', type: 'note', payload: 'alpha-only' });
    seen.record = await a.ok('semantic.upsert', { ns: 'shared', records: [{ id: 'r1', content: 'alpha secret plans' }] });
    seen.lease = await a.ok('lease.acquire', { ns: 'shared', key: 'lock', ttlMs: 60_000 });
    seen.session = await a.ok('session.open', { sessionId: 'alpha-session' });
    seen.fact = await a.ok('facts.write', { content: 'C[plans]: alpha secret plans', scope: 'alpha-scope' });
    await a.ok('artifact.put', { ns: 'shared', id: 'doc', data: Buffer.from('alpha-only').toString('base64') });
    seen.upload = await a.ok('artifact.upload.begin', { ns: 'shared', id: 'big' });
    await a.ok('graph.upsert', { ns: 'shared', nodes: [{ id: 'n1', props: { note: 'alpha-only' } }, { id: 'n2' }], edges: [{ id: 'g1', type: 'knows', from: 'n1', to: 'n2' }] });
  });

  it('reads in another tenant find nothing', async () => {
    expect(await b.ok('kv.get', { ns: 'shared', key: 'secret' })).toEqual({ found: false });
    expect((await b.ok('kv.list', { ns: 'shared' })).items).toEqual([]);
    expect((await b.ok('kv.mget', { ns: 'shared', keys: ['secret'] })).items).toEqual([]);
    expect((await b.ok('episodic.range', { ns: 'shared', includeDeleted: true })).events).toEqual([]);
    expect((await b.ok('semantic.search', { ns: 'shared', queryText: 'alpha secret plans', includeInvalidated: true })).hits).toEqual([]);
    expect(await b.ok('lease.inspect', { ns: 'shared', key: 'lock' })).toEqual({ held: false });
    expect((await b.ok('lease.list', { ns: 'shared' })).items).toEqual([]);
    expect(await b.when('session.get', { sessionId: 'alpha-session' })).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await b.ok('facts.search', { query: 'plans' })).facts).toEqual([]);
    expect((await b.ok('facts.export', {})).lines).toEqual([]);
    expect(await b.when('facts.search', { query: 'plans', scope: 'alpha-scope' })).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect((await b.ok('facts.status', {})).hot).toBe(0);
    expect(await b.when('artifact.get', { ns: 'shared', id: 'doc' })).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await b.ok('artifact.stat', { ns: 'shared', id: 'doc' })).toEqual({ found: false });
    expect((await b.ok('artifact.list', { ns: 'shared' })).items).toEqual([]);
    expect(await b.ok('graph.get', { ns: 'shared', nodeIds: ['n1', 'n2'], edgeIds: ['g1'] })).toEqual({ nodes: [], edges: [] });
    expect(await b.ok('graph.neighbors', { ns: 'shared', id: 'n1' })).toEqual({ neighbors: [], truncated: false });
    expect(await b.ok('graph.traverse', { ns: 'shared', startId: 'n1', direction: 'both' })).toMatchObject({ nodes: [], edges: [] });
    // The tail ends at maxMs on the clock: moved once the tail waits on it beside the workers.
    const tailing = b.stream('episodic.tail', { ns: 'shared', afterCursor: 0, maxMs: 300 });
    await svc.idle(1);
    await svc.clock.advance(300);
    const tail = await tailing;
    expect(tail).toMatchObject({ items: [], events: [] });
    expect(tail.error).toBeUndefined();
    const audit = await b.ok('audit.query', { limit: 1000 });
    expect(audit.events.filter((e: { tenant: string }) => e.tenant !== 'beta')).toEqual([]);
    expect(JSON.stringify(audit)).not.toContain('alpha');
  });

  it('changes in another tenant cannot touch the first tenant’s data', async () => {
    expect((await b.when('lease.release', { ns: 'shared', key: 'lock', holderId: seen.lease.holderId })).body).toEqual({ existed: false });
    expect(await b.when('session.heartbeat', { sessionId: 'alpha-session', sessionToken: seen.session.sessionToken })).toMatchObject({ error: { reason: 'SESSION_CLOSED' }, events: [] });
    expect(await b.when('artifact.upload.append', { uploadId: seen.upload.uploadId, data: 'aGk=' })).toMatchObject({ error: { code: 'NOT_FOUND' }, events: [] });
    expect(await b.when('artifact.upload.commit', { uploadId: seen.upload.uploadId })).toMatchObject({ error: { code: 'NOT_FOUND' }, events: [] });
    expect(await b.ok('kv.delete', { ns: 'shared', key: 'secret' })).toEqual({ existed: false });
    expect((await b.ok('semantic.delete', { ns: 'shared', ids: ['r1'], hard: true })).existed).toEqual([false]);
    expect(await b.ok('episodic.expire', { ns: 'shared', beforeCursor: 10, action: 'hard', maxRows: 10 })).toEqual({ affected: 0 });
    expect(await b.ok('artifact.delete', { ns: 'shared', id: 'doc' })).toMatchObject({ existed: false });
    expect(await b.ok('facts.purge', {})).toEqual({ purged: 0 });
    expect(await b.when('graph.delete', { ns: 'shared', nodeIds: ['n1', 'n2'], edgeIds: ['g1'], cascade: true })).toMatchObject({ body: { nodes: [], edges: [] }, events: [] });
    // A revert to a sequence where tenant A had them reads tenant B's own history: nothing.
    expect(await b.when('kv.revert', { ns: 'shared', key: 'secret', toSeq: seen.kv.seq })).toMatchObject({ body: { restored: 'absent', fromSeq: null }, events: [] });
    expect(await b.when('semantic.revert', { ns: 'shared', id: 'r1', toSeq: seen.record.seq })).toMatchObject({ body: { restored: 'absent', fromSeq: null }, events: [] });
    expect(await b.when('facts.revert', { id: seen.fact.id, toSeq: seen.fact.seq })).toMatchObject({ body: { restored: 'absent', fromSeq: null }, events: [] });
    // An erasure names its own tenant only, and erasing its own namespace of the same name leaves A's alone.
    expect(await b.when('audit.erase', { subject: { tenant: 'alpha', ns: 'shared' } })).toMatchObject({ error: { code: 'PERMISSION_DENIED' }, events: [] });
    expect(await b.when('audit.erase', { subject: { tenant: 'beta', ns: 'shared' } })).toMatchObject({ body: { subject: { tenant: 'beta', ns: 'shared' } }, events: [{ tenant: 'beta', type: 'audit.subject_erased' }] });

    // ... and tenant A still has everything.
    expect(await a.ok('kv.get', { ns: 'shared', key: 'secret' })).toMatchObject({ value: 'alpha-only' });
    expect((await a.ok('episodic.range', { ns: 'shared' })).events).toHaveLength(1);
    expect((await a.ok('semantic.search', { ns: 'shared', queryText: 'alpha secret plans' })).hits.map((h: { id: string }) => h.id)).toEqual(['r1']);
    expect(await a.ok('lease.inspect', { ns: 'shared', key: 'lock' })).toMatchObject({ held: true, holderId: seen.lease.holderId });
    expect(await a.ok('session.heartbeat', { sessionId: 'alpha-session', sessionToken: seen.session.sessionToken })).toMatchObject({ expiresAt: expect.any(String) });
    expect((await a.ok('facts.export', {})).lines).toEqual(['C[plans]: alpha secret plans']);
    expect(await a.ok('artifact.stat', { ns: 'shared', id: 'doc' })).toMatchObject({ found: true, size: 10 });
    expect(await a.ok('artifact.upload.append', { uploadId: seen.upload.uploadId, data: 'aGk=' })).toMatchObject({ size: 2 });
    expect(await a.ok('graph.get', { ns: 'shared', nodeIds: ['n1'], edgeIds: ['g1'] })).toMatchObject({ nodes: [{ id: 'n1', props: { note: 'alpha-only' } }], edges: [{ id: 'g1' }] });
  });

  it('the same Mem-Request-Id in two tenants names two different writes', async () => {
    const first = await a.when('kv.put', { ns: 'ids', key: 'k', value: 'a' }, { requestId: 'same-id' });
    const second = await b.when('kv.put', { ns: 'ids', key: 'k', value: 'b' }, { requestId: 'same-id' });
    expect(second.body.seq).not.toBe(first.body.seq);
    expect(first.events).toMatchObject([{ tenant: 'alpha', requestId: 'same-id' }]);
    expect(second.events).toMatchObject([{ tenant: 'beta', requestId: 'same-id' }]);
    expect(await b.ok('kv.get', { ns: 'ids', key: 'k' })).toMatchObject({ value: 'b' });
    expect(await a.ok('kv.get', { ns: 'ids', key: 'k' })).toMatchObject({ value: 'a' });
  });

  it('writes in another tenant start from nothing and leave the first tenant as it was', async () => {
    expect(await b.ok('kv.put', { ns: 'shared', key: 'secret', value: 'beta', ifVersion: 0 })).toMatchObject({ version: 1 });
    expect(await b.ok('episodic.append', { ns: 'shared', type: 'note', payload: 'beta' })).toMatchObject({ cursor: 1, deduplicated: false });
    expect(await b.when('semantic.upsert', { ns: 'shared', records: [{ id: 'r1', content: 'beta', ifVersion: 1 }] })).toMatchObject({ error: { reason: 'VERSION_MISMATCH' }, events: [] });
    expect(await b.ok('semantic.expire', { ns: 'shared', filter: {}, action: 'hard', maxRows: 10 })).toMatchObject({ affected: 0 });
    expect(await b.ok('artifact.put', { ns: 'shared', id: 'doc', data: Buffer.from('beta').toString('base64') })).toMatchObject({ version: 1, size: 4 });
    const read = await b.stream('artifact.read', { ns: 'shared', id: 'doc' });
    expect(read.error).toBeUndefined();
    expect(read.items.length).toBeGreaterThan(0);
    expect((await b.ok('artifact.upload.begin', { ns: 'shared', id: 'big' })).uploadId).not.toBe(seen.upload.uploadId);
    expect(await b.when('lease.renew', { ns: 'shared', key: 'lock', holderId: seen.lease.holderId })).toMatchObject({ error: { reason: 'NOT_HOLDER' }, events: [] });
    const own = await b.ok('session.open', { sessionId: 'alpha-session' });
    expect(own.sessionToken).not.toBe(seen.session.sessionToken);
    expect(await b.when('session.checkpoint', { sessionId: 'alpha-session', sessionToken: seen.session.sessionToken, state: { x: 1 } })).toMatchObject({ error: { reason: 'SESSION_CLOSED' } });
    expect(await b.when('session.close', { sessionId: 'alpha-session', sessionToken: seen.session.sessionToken })).toMatchObject({ error: { reason: 'SESSION_CLOSED' } });
    expect(await b.ok('facts.write', { content: 'C[plans]: beta plans', scope: 'alpha-scope' })).toMatchObject({ status: 'stored', superseded: [] });
    expect(await b.ok('facts.tick', { sessionId: 'alpha-session', turn: 1, message: 'merged and deployed' })).toMatchObject({ cooled: [] });
    expect(JSON.stringify(await b.ok('facts.reflect', { topic: 'plans' }))).not.toContain('alpha secret');
    // Tenant A's nodes are not there to join; tenant B's own of the same ids start at version 1.
    expect(await b.when('graph.upsert', { ns: 'shared', edges: [{ type: 'knows', from: 'n1', to: 'n2' }] })).toMatchObject({ error: { code: 'FAILED_PRECONDITION' }, events: [] });
    expect(await b.ok('graph.upsert', { ns: 'shared', nodes: [{ id: 'n1' }] })).toMatchObject({ nodes: [{ id: 'n1', version: 1 }] });

    expect(await a.ok('kv.get', { ns: 'shared', key: 'secret' })).toMatchObject({ value: 'alpha-only', version: 1 });
    expect((await a.ok('episodic.range', { ns: 'shared' })).events.map((e: { payload: unknown }) => e.payload)).toEqual(['alpha-only']);
    expect(await a.ok('artifact.stat', { ns: 'shared', id: 'doc' })).toMatchObject({ size: 10, version: 1 });
    expect((await a.ok('facts.export', {})).lines).toEqual(['C[plans]: alpha secret plans']);
    expect((await a.ok('graph.neighbors', { ns: 'shared', id: 'n1' })).neighbors).toMatchObject([{ direction: 'out', edge: { id: 'g1' }, node: { id: 'n2' } }]);
    expect(await a.ok('session.get', { sessionId: 'alpha-session' })).toMatchObject({ status: 'open' });
    expect(await a.ok('session.checkpoint', { sessionId: 'alpha-session', sessionToken: seen.session.sessionToken, state: { y: 2 } })).toMatchObject({ seq: expect.any(Number) });
  });

  it('a lease held in one tenant leaves the key free in another, and neither touches the other’s', async () => {
    const alpha = await a.ok('lease.acquire', { ns: 'shared', key: 'both', ttlMs: 60_000 });
    expect(await b.ok('lease.inspect', { ns: 'shared', key: 'both' })).toEqual({ held: false });
    expect((await b.when('lease.release', { ns: 'shared', key: 'both', holderId: alpha.holderId })).body).toEqual({ existed: false });
    expect(await b.ok('lease.acquire', { ns: 'shared', key: 'both', ttlMs: 60_000 })).toMatchObject({ fencingToken: 1 });
    expect((await b.when('lease.renew', { ns: 'shared', key: 'both', holderId: alpha.holderId })).error).toMatchObject({ reason: 'NOT_HOLDER' });
    expect(await a.ok('lease.inspect', { ns: 'shared', key: 'both' })).toMatchObject({ held: true, holderId: alpha.holderId });
  });

  it('covers every operation the blocks serve', async () => {
    const served = [...svc.dispatcher.names].sort();
    expect(served.length).toBeGreaterThan(30);
    expect(served.filter((op) => !usedByB.has(op))).toEqual([]);
  });
};
