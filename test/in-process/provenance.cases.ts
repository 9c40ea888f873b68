import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Provenance, StoredEvent, TrustLabel } from '@memsidecar/core';
import type { Caller, InProcessService, WhenOptions } from '@memsidecar/testing';
import { BLOCKS } from '@memsidecar/platform';
import type { InProcessCases } from '../support/in-process';

/** The environment these cases expect: the hashing embedder, artifacts in a directory of their own. */
export function provenanceEnv(): Record<string, string> {
  return { MEMSIDECAR_EMBEDDER: 'hashing', MEMSIDECAR_ARTIFACT_STORE: `fs:${mkdtempSync(join(tmpdir(), 'memsidecar-provenance-'))}` };
}

type Body = Record<string, unknown>;

const token = (agent: string, trust?: TrustLabel, o: { tenant?: string; namespaces?: string[] } = {}): Caller => ({
  tenant: o.tenant ?? 'prov',
  agent,
  tokenId: `tok-${agent}`,
  namespaces: o.namespaces ?? ['*'],
  ops: ['*'],
  ...(trust ? { trust } : {}),
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

/**
 * Provenance on every item a memory block returns, trust from the token and derivation, through
 * the dispatcher over the in-memory log, on a manual clock; declared on PGlite (provenance.spec.ts)
 * and on Postgres (provenance.int.spec.ts). The transports' own names are checked end to end
 * (test/grpc.e2e.spec.ts, python/tests).
 */
export const provenanceCases: InProcessCases = (service) => {
  let svc: InProcessService;
  const as = (caller: Caller, extra: Omit<WhenOptions, 'principal'> = {}): WhenOptions => ({ principal: caller, ...extra });
  const ok = (op: string, body: Body, o: WhenOptions) => svc.ok(op, body, o);

  beforeAll(() => {
    svc = service();
  });

  describe('every item read back names the write that produced it', () => {
    const writer = token('writer', 'high');
    let inSession: WhenOptions;
    let expected: (seq: number) => Provenance;

    beforeAll(async () => {
      const opened = await ok('session.open', { sessionId: 'prov-session' }, as(writer));
      inSession = as(writer, { sessionId: 'prov-session', sessionToken: opened.sessionToken });
      const at = svc.clock.now().toISOString();
      expected = (seq) => ({ agent: 'writer', sessionId: 'prov-session', tokenId: 'tok-writer', transport: 'in-process', seq, at, trust: 'high' });
    });

    it('kv: get, mget and list', async () => {
      const { seq } = await ok('kv.put', { ns: 'p', key: 'k', value: 1 }, inSession);
      const reader = as(token('reader'));
      expect((await ok('kv.get', { ns: 'p', key: 'k' }, reader)).provenance).toEqual(expected(seq));
      expect((await ok('kv.mget', { ns: 'p', keys: ['k'] }, reader)).items[0].provenance).toEqual(expected(seq));
      expect((await ok('kv.list', { ns: 'p' }, reader)).items[0].provenance).toEqual(expected(seq));
    });

    it('episodic: range and tail, from history and live', async () => {
      const { seq } = await ok('episodic.append', { ns: 'p', type: 'note', payload: 'first' }, inSession);
      expect((await ok('episodic.range', { ns: 'p' }, as(writer))).events[0].provenance).toEqual(expected(seq));
      let live: Promise<{ seq: number }> | undefined;
      const { items } = await svc.stream('episodic.tail', { ns: 'p', afterCursor: 0, maxEvents: 2, maxMs: 10_000 }, {
        ...inSession,
        onItem: (_item, index) => {
          if (index === 0) live = ok('episodic.append', { ns: 'p', type: 'note', payload: 'second' }, inSession);
        },
      });
      expect(items.map((e) => e.provenance)).toEqual([expected(seq), expected((await live!).seq)]);
    });

    it('semantic: search hits, but not id-only ones', async () => {
      const { seq } = await ok('semantic.upsert', { ns: 'p', records: [{ id: 'r', content: 'provenance of a record' }] }, inSession);
      expect((await ok('semantic.search', { ns: 'p', queryText: 'provenance of a record' }, as(writer))).hits[0].provenance).toEqual(expected(seq));
      expect((await ok('semantic.search', { ns: 'p', queryText: 'provenance of a record', idsOnly: true }, as(writer))).hits[0]).not.toHaveProperty('provenance');
    });

    it('artifact: put, get, stat and list', async () => {
      const put = await ok('artifact.put', { ns: 'p', id: 'a', data: b64('bytes') }, inSession);
      expect(put.provenance).toEqual(expected(put.seq));
      expect((await ok('artifact.get', { ns: 'p', id: 'a' }, as(writer))).ref.provenance).toEqual(expected(put.seq));
      expect((await ok('artifact.stat', { ns: 'p', id: 'a' }, as(writer))).provenance).toEqual(expected(put.seq));
      expect((await ok('artifact.list', { ns: 'p' }, as(writer))).items[0].provenance).toEqual(expected(put.seq));
    });

    it('facts: search, reflect and export', async () => {
      const { seq } = await ok('facts.write', { ns: 'p', content: 'D[store]: postgres for read models' }, inSession);
      expect((await ok('facts.search', { ns: 'p', query: 'postgres' }, as(writer))).facts[0].provenance).toEqual(expected(seq));
      expect((await ok('facts.reflect', { ns: 'p', topic: 'store' }, as(writer))).groups.decisions[0].provenance).toEqual(expected(seq));
      expect((await ok('facts.export', { ns: 'p' }, as(writer))).facts[0].provenance).toEqual(expected(seq));
    });

    it('a replay of the log into emptied read models restores the same provenance', async () => {
      const tables = ['kv_entries', 'episodic_events', 'semantic_records', 'artifact_entries', 'fact_entries'];
      const snapshot = async () => {
        const rows: Record<string, unknown[]> = {};
        for (const t of tables) rows[t] = await svc.db.query(`SELECT provenance FROM ${t} ORDER BY seq, provenance::text`);
        return rows;
      };
      const before = await snapshot();
      expect(Object.values(before).every((rows) => rows.length > 0 && rows.every((r) => (r as { provenance: unknown }).provenance))).toBe(true);
      const events: StoredEvent[] = [];
      for await (const e of svc.log.read()) events.push(e);
      await svc.db.transaction(async (sql) => {
        for (const block of BLOCKS) {
          for (const projection of block.projections) {
            if (!projection.tables.some((t) => tables.includes(t))) continue;
            for (const t of projection.tables) await sql.query(`TRUNCATE ${t}`);
            await projection.apply(sql, events.filter((e) => projection.canHandle(e)));
          }
        }
      });
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('trust', () => {
    it('comes from the token; an unlabelled token writes none', async () => {
      await ok('kv.put', { ns: 't', key: 'low', value: 1 }, as(token('low-writer', 'low')));
      await ok('kv.put', { ns: 't', key: 'none', value: 1 }, as(token('plain-writer')));
      expect((await ok('kv.get', { ns: 't', key: 'low' }, as(token('reader')))).provenance.trust).toBe('low');
      expect((await ok('kv.get', { ns: 't', key: 'none' }, as(token('reader')))).provenance).not.toHaveProperty('trust');
    });

    it('a body cannot set it: trust or provenance in a write is INVALID_ARGUMENT and appends nothing', async () => {
      const low = as(token('low-writer', 'low'));
      for (const [op, body] of [
        ['kv.put', { ns: 't', key: 'forged', value: 1, trust: 'high' }],
        ['kv.put', { ns: 't', key: 'forged', value: 1, provenance: { trust: 'high' } }],
        ['semantic.upsert', { ns: 't', records: [{ id: 'forged', content: 'x', trust: 'high' }] }],
        ['facts.write', { ns: 't', content: 'V[forged]: x', trust: 'high' }],
      ] as const) {
        const refused = await svc.when(op, body, low);
        expect(refused, op).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' }, events: [] });
      }
    });

    it('a memory derived from a high and a low source is low, and names both', async () => {
      const high = await ok('episodic.append', { ns: 'd', type: 'note', payload: 'checked by a human' }, as(token('curator', 'high')));
      const low = await ok('episodic.append', { ns: 'd', type: 'note', payload: 'scraped from the web' }, as(token('scraper', 'low')));
      const summarizer = as(token('summarizer', 'high'));
      const derivedFrom = [high.seq, low.seq];

      const record = await svc.when('semantic.upsert', { ns: 'd', records: [{ id: 'summary', content: 'a summary of both notes' }], derivedFrom }, summarizer);
      expect(record.events).toMatchObject([{ trust: 'low', derivedFrom }]);
      const hit = (await ok('semantic.search', { ns: 'd', queryText: 'a summary of both notes' }, summarizer)).hits[0];
      expect(hit.provenance).toMatchObject({ agent: 'summarizer', trust: 'low', derivedFrom, seq: record.body.seq });

      const fact = await ok('facts.write', { ns: 'd', content: 'V[summary]: both notes agree', derivedFrom }, summarizer);
      expect((await ok('facts.search', { ns: 'd', query: 'summary' }, summarizer)).facts[0].provenance).toMatchObject({ trust: 'low', derivedFrom, seq: fact.seq });

      await ok('kv.put', { ns: 'd', key: 'summary', value: 'both', derivedFrom }, summarizer);
      expect((await ok('kv.get', { ns: 'd', key: 'summary' }, summarizer)).provenance).toMatchObject({ trust: 'low', derivedFrom });
    });

    it('a memory derived only from high sources by a medium token is medium; from an unlabelled source, unlabelled', async () => {
      const high = await ok('kv.put', { ns: 'd', key: 'h', value: 1 }, as(token('curator', 'high')));
      const plain = await ok('kv.put', { ns: 'd', key: 'u', value: 1 }, as(token('plain-writer')));
      const medium = as(token('summarizer', 'medium'));
      await ok('kv.put', { ns: 'd', key: 'from-high', value: 1, derivedFrom: [high.seq] }, medium);
      await ok('kv.put', { ns: 'd', key: 'from-plain', value: 1, derivedFrom: [high.seq, plain.seq] }, medium);
      expect((await ok('kv.get', { ns: 'd', key: 'from-high' }, medium)).provenance).toMatchObject({ trust: 'medium', derivedFrom: [high.seq] });
      const fromPlain = (await ok('kv.get', { ns: 'd', key: 'from-plain' }, medium)).provenance;
      expect(fromPlain).toMatchObject({ derivedFrom: [high.seq, plain.seq] });
      expect(fromPlain).not.toHaveProperty('trust');
    });

    it('derivedFrom naming another tenant’s event, one outside the token’s namespaces or no event is refused alike, appending nothing', async () => {
      const foreign = await ok('kv.put', { ns: 'd', key: 'theirs', value: 'secret' }, as(token('other', 'high', { tenant: 'other-tenant' })));
      const hidden = await ok('kv.put', { ns: 'private', key: 'k', value: 1 }, as(token('curator', 'high')));
      const narrow = as(token('narrow', 'high', { namespaces: ['kv/d', 'semantic/d', 'facts/d'] }));
      const refusals = [];
      for (const seq of [foreign.seq, hidden.seq, 1_000_000]) {
        for (const [op, body] of [
          ['kv.put', { ns: 'd', key: 'derived', value: 1, derivedFrom: [seq] }],
          ['semantic.upsert', { ns: 'd', records: [{ id: 'derived', content: 'x' }], derivedFrom: [seq] }],
          ['facts.write', { ns: 'd', content: 'V[derived]: x', derivedFrom: [seq] }],
        ] as const) {
          const refused = await svc.when(op, body, narrow);
          expect(refused, `${op} from ${seq}`).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'derivedFrom' } }, events: [] });
          refusals.push(refused.error!.message.replace(String(seq), 'N'));
        }
      }
      expect(new Set(refusals).size).toBe(1);
      expect(refusals[0]).not.toContain('secret');
    });

    it('derivedFrom must be a list of at most 100 positive sequences', async () => {
      for (const derivedFrom of [[0], ['1'], 5, Array.from({ length: 101 }, (_, i) => i + 1)]) {
        const refused = await svc.when('kv.put', { ns: 'd', key: 'bad', value: 1, derivedFrom }, as(token('curator', 'high')));
        expect(refused, JSON.stringify(derivedFrom).slice(0, 20)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'derivedFrom' } }, events: [] });
      }
    });
  });
};
