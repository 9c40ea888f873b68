import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { Database } from '@memsidecar/projections';
import { createTestDatabase, type TestDatabase } from '@memsidecar/testing';
import type { SemanticEvent, StoredRecord } from './semantic.events';
import { semanticBlock } from './semantic.block';
import { semanticProjection } from './semantic.projection';
import { encodeVector } from './vector-codec';

type Stored = StoredEvent<SemanticEvent>;

const SNAPSHOT = `SELECT tenant, ns, id, version, content, vector, embedding, valid_from, valid_to, deleted_at, seq FROM semantic_records ORDER BY tenant, ns, id`;
const SETTINGS = { embedder: 'test', dimension: 3 };

/** A namespace's log of upserts, deletes and expiries, in the shapes the decider writes. */
class Log {
  readonly events: Stored[] = [];
  private readonly versions = new Map<string, number>();

  private push(type: SemanticEvent['type'], data: object, ns = 'docs'): string {
    const seq = this.events.length + 1;
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
    this.events.push({ seq, id: `evt-${seq}`, type, v: 1, at, tenant: 'acme', agent: 'bot', block: 'semantic', ns, entity: 'index', data: { ...SETTINGS, ...data } } as Stored);
    return at;
  }

  upsert(ids: string[], o: { supersedes?: string[]; ns?: string } = {}): void {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, this.events.length + 1)).toISOString();
    const records: StoredRecord[] = ids.map((id, k) => {
      const version = (this.versions.get(id) ?? 0) + 1;
      this.versions.set(id, version);
      return {
        id, version, content: `${id} v${version}`, vector: encodeVector([1, version, k]), payload: { version }, metadata: null,
        validFrom: at, validTo: null, supersedes: o.supersedes ?? [], createdAt: at, updatedAt: at,
      };
    });
    this.push('semantic.records_upserted', { records }, o.ns);
  }

  remove(ids: string[], how: 'soft' | 'hard' | 'invalidate', ns?: string): void {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, this.events.length + 1)).toISOString();
    if (how === 'invalidate') this.push('semantic.records_expired', { ids, action: how, at }, ns);
    else this.push('semantic.records_deleted', { ids, existed: ids.map(() => true), hard: how === 'hard', at }, ns);
  }
}

describe('semantic projection - a batch gives the rows that one event at a time gives', () => {
  let pg: TestDatabase;
  let db: Database;

  const applyInBatches = async (batches: Stored[][]) => {
    await db.query(`TRUNCATE semantic_records, semantic_namespaces`);
    for (const batch of batches) await db.transaction((sql) => semanticProjection.apply(sql, batch));
    return db.query<Record<string, unknown>>(SNAPSHOT);
  };

  beforeAll(async () => {
    pg = await createTestDatabase();
    db = await Database.open({ url: pg.url, pgliteDir: 'memory://', entities: semanticBlock.entities, migrations: semanticBlock.migrations });
  });

  afterAll(async () => {
    await db?.close();
    await pg?.drop();
  });

  it('deletes, expiries and supersedes between upserts: of records in the run, of others, and of other namespaces', async () => {
    const log = new Log();
    log.upsert(['a', 'b']);
    log.upsert(['c']);
    log.remove(['x'], 'soft');
    log.remove(['b'], 'soft');
    log.upsert(['b', 'd']);
    log.remove(['a'], 'soft', 'other');
    log.upsert(['e'], { supersedes: ['c', 'a'] });
    log.remove(['d'], 'hard');
    log.upsert(['d']);
    log.remove(['e'], 'invalidate');
    log.upsert(['f'], { supersedes: ['x'] });
    log.upsert(['a', 'g', 'h']);
    log.remove(['g'], 'soft');
    log.remove(['h'], 'hard');
    const oneAtATime = await applyInBatches(log.events.map((e) => [e]));
    expect(oneAtATime.map((r) => [r.id, r.version, r.deleted_at !== null, r.valid_to !== null])).toEqual([
      ['a', 2, false, false],
      ['b', 2, false, false],
      ['c', 1, false, true],
      ['d', 2, false, false],
      ['e', 1, false, true],
      ['f', 1, false, false],
      ['g', 1, true, false],
    ]);
    expect(await applyInBatches([log.events])).toEqual(oneAtATime);
    expect(await applyInBatches([log.events.slice(0, 5), log.events.slice(5)])).toEqual(oneAtATime);
  });
});
