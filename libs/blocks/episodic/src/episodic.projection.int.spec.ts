import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { Database } from '@memsidecar/projections';
import { createTestDatabase, type TestDatabase } from '@memsidecar/testing';
import type { EpisodicEvent, EpisodicEventAppendedData, EpisodicEventsExpiredData } from './episodic.events';
import { episodicBlock } from './episodic.block';
import { episodicProjection } from './episodic.projection';

type Stored = StoredEvent<EpisodicEvent>;

const SNAPSHOT = `SELECT tenant, ns, cursor, id, type, payload::text, role, session_id, metadata, dedup_key, supersedes, created_at, deleted_at, deleted_reason, seq
  FROM episodic_events ORDER BY tenant, ns, cursor`;

/** Builds one namespace's log the way the decider does: dense cursors, changes naming earlier events. */
class Log {
  readonly events: Stored[] = [];
  private cursor = 0;

  private push(type: EpisodicEvent['type'], data: EpisodicEventAppendedData | EpisodicEventsExpiredData): void {
    const seq = this.events.length + 1;
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString();
    this.events.push({ seq, id: `evt-${seq}`, type, v: 1, at, tenant: 'acme', agent: 'bot', block: 'episodic', ns: 'notes', entity: 'log', data } as Stored);
  }

  append(o: { dedupKey?: string; supersedes?: string[] } = {}): string {
    const cursor = ++this.cursor;
    const eventId = `e-${cursor}`;
    const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, this.events.length + 1)).toISOString();
    this.push('episodic.event_appended', {
      cursor, eventId, type: 'message', payload: { text: `turn ${cursor}\ttab \\ "quoted"` }, role: 'user', sessionId: null,
      metadata: cursor % 2 ? { channel: 'chat' } : null, dedupKey: o.dedupKey ?? null, supersedes: o.supersedes ?? [], createdAt,
    });
    return eventId;
  }

  expire(action: 'soft' | 'hard', cursors: number[]): void {
    this.push('episodic.events_expired', { cursor: this.cursor, action, cursors });
  }
}

describe('episodic projection - a bulk load gives the rows the in-order inserts give', () => {
  const databases: TestDatabase[] = [];
  let live: Database;
  let bulk: Database;

  const open = async (bulkLoad: boolean) => {
    const pg = await createTestDatabase();
    databases.push(pg);
    return Database.open({ url: pg.url, pgliteDir: 'memory://', entities: episodicBlock.entities, migrations: episodicBlock.migrations, bulkLoad });
  };
  const applyEach = async (db: Database, batches: Stored[][]) => {
    await db.query(`TRUNCATE episodic_events`);
    for (const batch of batches) await db.transaction((sql) => episodicProjection.apply(sql, batch));
    return db.query<Record<string, unknown>>(SNAPSHOT);
  };

  beforeAll(async () => {
    [live, bulk] = await Promise.all([open(false), open(true)]);
  });

  afterAll(async () => {
    await Promise.all([live?.close(), bulk?.close()]);
    await Promise.all(databases.map((d) => d.drop()));
  });

  it('supersedes and expiries between the appends of a batch, and across batches', async () => {
    const log = new Log();
    const first = log.append();
    const second = log.append({ dedupKey: 'k-1' });
    log.append({ supersedes: [first] });
    log.expire('soft', [2]);
    log.append({ supersedes: [second, 'unknown'] });
    log.expire('hard', [1]);
    log.append();
    const later = log.append();
    log.append({ supersedes: [later] });
    log.expire('soft', [6, 7]);
    log.append();
    const batches = [log.events.slice(0, 6), log.events.slice(6)];
    const expected = await applyEach(live, batches);
    expect(expected.map((r) => [r.cursor, r.deleted_reason])).toEqual([
      ['2', 'expired'],
      ['3', null],
      ['4', null],
      ['5', null],
      ['6', 'superseded'],
      ['7', 'expired'],
      ['8', null],
    ]);
    expect(await bulk.transaction(async (sql) => Boolean(sql.copyRows))).toBe(true);
    expect(await applyEach(bulk, batches)).toEqual(expected);
  });

  it('a dedup key taken again after a hard expiry in the same batch: the copy collides, and the batch runs again in order', async () => {
    const log = new Log();
    log.append({ dedupKey: 'once' });
    log.append();
    log.expire('hard', [1]);
    log.append({ dedupKey: 'once' });
    const expected = await applyEach(live, [log.events]);
    expect(expected.map((r) => [r.cursor, r.dedup_key])).toEqual([
      ['2', null],
      ['3', 'once'],
    ]);
    expect(await applyEach(bulk, [log.events])).toEqual(expected);
  });
});
