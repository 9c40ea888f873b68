import { beforeAll, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import type { Caller, InProcessService } from '@memsidecar/testing';
import { recordTokenIssued } from '@memsidecar/tokens';
import type { InProcessCases } from '../support/in-process';

const everything = { namespaces: ['*'], ops: ['*'] };
const alice = { tenant: 'acme', agent: 'alice', ...everything };
const bob = { tenant: 'acme', agent: 'bob', ...everything };
const carol = { tenant: 'globex', agent: 'carol', ...everything };
const seqs = (events: StoredEvent[]) => events.map((e) => e.seq);

/**
 * audit.query through the dispatcher and the audit read model, in one process over the in-memory
 * log, on a manual clock that moves between the writes; declared on PGlite (audit.spec.ts) and on
 * Postgres (audit.int.spec.ts). memctl, rebuilding the read model and restarts stay in
 * test/audit.e2e.spec.ts.
 */
export const auditCases: InProcessCases = (service) => {
  let svc: InProcessService;
  /** Every event of the log after the writes, oldest first. */
  let log: StoredEvent[];
  /** What tenant acme may see: its own events, never token records. */
  let acme: StoredEvent[];
  const query = async (body: object, principal: Caller = alice) => svc.ok<{ events: StoredEvent[]; nextSeq: number | null }>('audit.query', { limit: 1000, ...body }, { principal });
  const refused = async (principal: Caller, body: Record<string, unknown> = {}) => (await svc.when('audit.query', body, { principal })).error;

  beforeAll(async () => {
    svc = service();
    // A token record in the log (block auth, pseudo-tenant memsidecar), as memctl records it, that no caller may see.
    await recordTokenIssued(svc.log, { tokenId: 'dave-token', tenant: 'acme', agent: 'dave', namespaces: ['kv/*'], ops: ['kv.get'], issuedAt: svc.clock.now().toISOString(), expiresAt: null }, 'memctl');

    // Each write a second after the one before, so that time filters tell them apart.
    const step = async <T>(write: () => Promise<T>): Promise<T> => {
      await svc.clock.advance(1_000);
      return write();
    };
    await step(() => svc.ok('kv.put', { ns: 'notes', key: 'k1', value: 1 }, { principal: alice }));
    await step(() => svc.ok('kv.put', { ns: 'notes', key: 'k1', value: 2 }, { principal: alice, requestId: 'audit-put-2' }));
    await step(() => svc.ok('episodic.append', { ns: 'chat', type: 'message', payload: { text: 'hi' } }, { principal: bob }));
    await step(() => svc.ok('kv.put', { ns: 'notes', key: 'k1', value: 'globex' }, { principal: carol }));
    const session = await step(() => svc.ok('session.open', { sessionId: 'audit-s' }, { principal: alice }));
    const inSession = { principal: alice, sessionId: 'audit-s', sessionToken: session.sessionToken as string };
    await step(() => svc.ok('kv.put', { ns: 'notes', key: 'k2', value: 'in session' }, inSession));
    await step(() => svc.ok('episodic.append', { ns: 'chat', type: 'message', payload: 'in session' }, inSession));
    await step(() => svc.ok('lease.acquire', { ns: 'jobs', key: 'j', ttlMs: 60_000 }, { principal: bob }));
    await step(() => svc.ok('episodic.append', { ns: 'chat', type: 'message', payload: 'globex' }, { principal: carol }));
    await step(() => svc.ok('session.close', { sessionId: 'audit-s', sessionToken: session.sessionToken }, { principal: alice }));
    await step(() => svc.ok('kv.delete', { ns: 'notes', key: 'k1' }, { principal: bob }));
    await step(() => svc.ok('facts.write', { ns: 'notes', content: 'D[db]: use postgres' }, { principal: alice }));

    log = [];
    for await (const e of svc.log.read()) log.push(e);
    acme = log.filter((e) => e.tenant === 'acme' && e.block !== 'auth');
    // Reads below wait for the whole log, whoever wrote it.
    await query({ minSeq: log.at(-1)!.seq });
  });

  it('returns every event of the tenant as its full envelope with seq, oldest first', async () => {
    expect(log.some((e) => e.block === 'auth')).toBe(true);
    expect(new Set(acme.map((e) => e.block))).toEqual(new Set(['kv', 'episodic', 'session', 'lease', 'facts']));
    const all = await query({});
    expect(all).toEqual({ events: acme, nextSeq: null });
    expect(all.events[1]).toMatchObject({ requestId: 'audit-put-2', tokenId: expect.any(String), agent: 'alice', type: 'kv.value_set', data: expect.objectContaining({ value: 2 }) });
  });

  it('each filter narrows to exactly the matching events', async () => {
    const expectQuery = async (body: object, keep: (e: StoredEvent) => boolean) => {
      const expected = acme.filter(keep);
      expect(expected.length, JSON.stringify(body)).toBeGreaterThan(0);
      expect(expected.length, JSON.stringify(body)).toBeLessThan(acme.length);
      expect(seqs((await query(body)).events), JSON.stringify(body)).toEqual(seqs(expected));
    };
    const middle = acme[3].seq;
    await expectQuery({ fromSeq: middle }, (e) => e.seq >= middle);
    const [since, until] = [acme[2].at, acme[6].at];
    await expectQuery({ since, until }, (e) => Date.parse(e.at) >= Date.parse(since) && Date.parse(e.at) < Date.parse(until));
    await expectQuery({ block: 'episodic' }, (e) => e.block === 'episodic');
    await expectQuery({ ns: 'notes' }, (e) => e.ns === 'notes');
    await expectQuery({ block: 'kv', ns: 'notes' }, (e) => e.block === 'kv' && e.ns === 'notes');
    await expectQuery({ agent: 'bob' }, (e) => e.agent === 'bob');
    // A session's events: those written under it and the session's own (opened, closed).
    await expectQuery({ sessionId: 'audit-s' }, (e) => e.sessionId === 'audit-s' || (e.block === 'session' && e.entity === 'audit-s'));
    expect((await query({ sessionId: 'audit-s' })).events.map((e) => e.type)).toEqual(['session.opened', 'kv.value_set', 'episodic.event_appended', 'session.closed']);
    await expectQuery({ types: ['kv.*'] }, (e) => e.type.startsWith('kv.'));
    await expectQuery({ types: ['kv.value_deleted', 'session.*'] }, (e) => e.type === 'kv.value_deleted' || e.type.startsWith('session.'));
    await expectQuery({ agent: 'alice', types: ['kv.value_set'], fromSeq: acme[1].seq }, (e) => e.agent === 'alice' && e.type === 'kv.value_set' && e.seq >= acme[1].seq);
    expect((await query({ types: ['kv_*'] })).events).toEqual([]);
    expect((await query({ block: 'lease', agent: 'alice' })).events).toEqual([]);
  });

  it('pages: limit, then nextSeq as the next fromSeq, until null', async () => {
    const pages: StoredEvent[][] = [];
    let fromSeq: number | undefined;
    do {
      const page = await query({ limit: 3, ...(fromSeq ? { fromSeq } : {}) });
      pages.push(page.events);
      fromSeq = page.nextSeq ?? undefined;
      if (page.nextSeq !== null) expect(page.nextSeq).toBe(acme[pages.flat().length].seq);
    } while (fromSeq);
    expect(pages.every((p) => p.length <= 3)).toBe(true);
    expect(pages.flat()).toEqual(acme);
    expect((await svc.ok('audit.query', {}, { principal: alice })).events).toEqual(acme.slice(0, 100));
  });

  it('a tenant never sees the events of another tenant, nor token records, whatever it asks', async () => {
    const globex = log.filter((e) => e.tenant === 'globex');
    expect(globex.length).toBe(2);
    expect((await query({}, carol)).events).toEqual(globex);
    expect((await query({ ns: 'notes', block: 'kv' }, carol)).events).toEqual(globex.filter((e) => e.block === 'kv'));
    expect((await query({ agent: 'alice' }, carol)).events).toEqual([]);
    expect((await query({ sessionId: 'audit-s' }, carol)).events).toEqual([]);
    // Token records live under the pseudo-tenant memsidecar: a tenant of that name still sees none.
    const named = { tenant: 'memsidecar', agent: 'x', ...everything };
    expect((await query({}, named)).events).toEqual([]);
    expect((await query({ block: 'auth' }, named)).events).toEqual([]);
  });

  it('needs op audit.read and the namespace: audit/<ns>, or audit/* without ns', async () => {
    const token = (ops: string[], namespaces = ['*']) => ({ tenant: 'acme', agent: 'alice', namespaces, ops });
    expect(await refused(token(['kv.*', 'episodic.*']))).toMatchObject({ code: 'PERMISSION_DENIED', details: { op: 'audit.read' } });
    // The op a token grants is audit.read, not the operation's name.
    expect(await refused(token(['audit.query']))).toMatchObject({ code: 'PERMISSION_DENIED', details: { op: 'audit.read' } });
    expect((await svc.ok('audit.query', {}, { principal: token(['audit.*']) })).events).toEqual(acme);
    expect((await svc.ok('audit.query', {}, { principal: token(['audit.read'], ['audit/*']) })).events).toEqual(acme);

    const notesOnly = token(['audit.read'], ['audit/notes']);
    expect((await svc.ok('audit.query', { ns: 'notes' }, { principal: notesOnly })).events).toEqual(acme.filter((e) => e.ns === 'notes'));
    expect(await refused(notesOnly)).toMatchObject({ code: 'PERMISSION_DENIED', details: { ns: 'audit/*' } });
    expect(await refused(notesOnly, { ns: 'chat' })).toMatchObject({ code: 'PERMISSION_DENIED', details: { ns: 'audit/chat' } });
    // A block's own namespace scope does not open the audit log.
    expect(await refused(token(['audit.read'], ['kv/*', 'episodic/*']), { ns: 'notes' })).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('bad input is INVALID_ARGUMENT naming the field', async () => {
    const field = (body: Record<string, unknown>) => refused(alice, body);
    expect(await field({ limit: 1001 })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'limit' } });
    expect(await field({ limit: 0 })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'limit' } });
    expect(await field({ fromSeq: -1 })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'fromSeq' } });
    expect(await field({ since: 'yesterday' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'since' } });
    expect(await field({ since: '2025-W01-1' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'since' } });
    expect(await field({ fromSeq: 1e20 })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'fromSeq' } });
    expect(await field({ until: '2025-13-01T00:00:00Z' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'until' } });
    expect(await field({ block: 'nope' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'block' } });
    expect(await field({ ns: 'bad ns!' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'ns' } });
    expect(await field({ types: ['kv.*.x*'] })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'types' } });
    expect(await field({ types: 'kv.*' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'types' } });
    expect(await field({ tenant: 'globex' })).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'tenant' } });
  });

  it('reads its own writes at once, and waits for minSeq (DEADLINE_EXCEEDED past the log)', async () => {
    const { seq } = await svc.ok('kv.put', { ns: 'fresh', key: 'k', value: 1 }, { principal: alice });
    expect(seqs((await query({ ns: 'fresh' })).events)).toEqual([seq]);
    const next = await svc.ok('episodic.append', { ns: 'fresh', type: 'note' }, { principal: bob });
    expect(seqs((await query({ ns: 'fresh', minSeq: next.seq })).events)).toEqual([seq, next.seq]);
    expect(await refused(alice, { minSeq: next.seq + 1000 })).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
  });
};
