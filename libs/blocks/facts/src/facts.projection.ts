import { assertNever, provenanceOf, type StoredEvent } from '@memsidecar/core';
import { columnsOf, handles, jsonText, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { FactRestored, FactsEvent, FactsTicked, FactWrittenEvent } from './facts.events';
import type { Fact, FactSession } from './facts.model';

type Stored = StoredEvent<FactsEvent>;

const ROWS_PER_STATEMENT = 500;
const INSERT_FACTS = `INSERT INTO fact_entries (tenant, ns, id, type, target, content, scope_id, status, cold_reason, hash, turn, created_at, updated_at, seq, superseded_by, provenance)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
    $11::integer[], $12::timestamptz[], $13::timestamptz[], $14::bigint[], $15::text[], $16::jsonb[])
  ON CONFLICT DO NOTHING`;

/** A fact written in this batch and not inserted yet, with the status later events gave it. */
interface PendingFact {
  e: Stored;
  fact: Fact;
  status: string;
  coldReason: string | null;
  supersededBy: string | null;
  updatedAt: string;
}

const keyOf = (e: Stored, id: string): string => `${e.tenant}\u0000${e.ns}\u0000${id}`;

/**
 * One batch being applied, with as few statements as the order of events allows. New facts wait
 * in `pending` and go in as multi-row inserts; a status change of a pending fact changes its row
 * there, one of an older fact is an UPDATE at once (those rows are distinct), and anything that
 * reads facts by another column (a scope cooling, a purge) inserts the pending ones first.
 * Sessions are only ever written, so each one's newest state is written once at the end; so are
 * reads (`facts.accessed`), whose columns nothing else touches and which only follow the inserts.
 */
class FactsBatch {
  private readonly pending = new Map<string, PendingFact>();
  private readonly sessions = new Map<string, { e: Stored; session: FactSession }>();
  private readonly reads = new Map<string, { e: Stored; id: string; at: string; count: number }>();

  constructor(readonly sql: SqlExecutor) {}

  /** Fact ids are unique; a repeated one is ignored, as the insert's ON CONFLICT DO NOTHING would. */
  addFact(e: Stored, fact: Fact): void {
    const key = keyOf(e, fact.id);
    if (this.pending.has(key)) return;
    this.pending.set(key, { e, fact, status: 'active', coldReason: null, supersededBy: null, updatedAt: fact.createdAt });
  }

  /** Changes pending facts in place and returns the ids of facts already in the table. */
  changePending(e: Stored, ids: string[], status: string, coldReason: string | null, supersededBy: string | null): string[] {
    return ids.filter((id) => {
      const p = this.pending.get(keyOf(e, id));
      if (!p) return true;
      Object.assign(p, { status, coldReason, supersededBy: supersededBy ?? p.supersededBy, updatedAt: e.at });
      return false;
    });
  }

  noteSession(e: Stored, session: FactSession): void {
    this.sessions.set(keyOf(e, session.id), { e, session });
  }

  /** One access event counts once per fact it names, as `id = ANY(...)` matches a row once. */
  noteAccess(e: Stored, ids: string[], at: string): void {
    for (const id of new Set(ids)) {
      const key = keyOf(e, id);
      const previous = this.reads.get(key);
      this.reads.set(key, { e, id, at, count: (previous?.count ?? 0) + 1 });
    }
  }

  async flushFacts(): Promise<void> {
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()].map(({ e, fact: f, status, coldReason, supersededBy, updatedAt }) => [
      e.tenant, e.ns, f.id, f.type, f.target, f.content, f.scopeId, status, coldReason, f.hash, f.turn, f.createdAt, updatedAt, e.seq, supersededBy, jsonText(provenanceOf(e)),
    ]);
    await this.sql.prepared(INSERT_FACTS, columnsOf(rows));
    this.pending.clear();
  }

  async finish(): Promise<void> {
    await this.flushFacts();
    const reads = [...this.reads.values()];
    for (let i = 0; i < reads.length; i += ROWS_PER_STATEMENT) {
      const chunk = reads.slice(i, i + ROWS_PER_STATEMENT);
      await this.sql.prepared(
        `UPDATE fact_entries f SET last_accessed_at = r.at, access_count = f.access_count + r.count
         FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::integer[]) AS r(tenant, ns, id, at, count)
         WHERE f.tenant = r.tenant AND f.ns = r.ns AND f.id = r.id`,
        [chunk.map((r) => r.e.tenant), chunk.map((r) => r.e.ns), chunk.map((r) => r.id), chunk.map((r) => r.at), chunk.map((r) => r.count)],
      );
    }
    const rows = [...this.sessions.values()];
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
      await this.sql.prepared(
        `INSERT INTO fact_sessions (tenant, ns, session_id, last_turn, active_scope_id)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[])
         ON CONFLICT (tenant, ns, session_id) DO UPDATE SET last_turn = EXCLUDED.last_turn, active_scope_id = EXCLUDED.active_scope_id`,
        [chunk.map((r) => r.e.tenant), chunk.map((r) => r.e.ns), chunk.map((r) => r.session.id), chunk.map((r) => r.session.lastTurn), chunk.map((r) => r.session.activeScopeId)],
      );
    }
  }
}

/** Changes the status of facts: pending ones in their rows, the others with one UPDATE. */
async function setStatus(b: FactsBatch, e: Stored, ids: string[], status: string, coldReason: string | null, supersededBy: string | null = null): Promise<void> {
  const inTable = b.changePending(e, ids, status, coldReason, supersededBy);
  if (inTable.length === 0) return;
  await b.sql.prepared(
    `UPDATE fact_entries SET status = $4, cold_reason = $5, superseded_by = coalesce($6, superseded_by), updated_at = $7 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`,
    [e.tenant, e.ns, inTable, status, coldReason, supersededBy, e.at],
  );
}

async function written(b: FactsBatch, e: StoredEvent<FactWrittenEvent>): Promise<void> {
  const d = e.data;
  if (d.scope) {
    await b.sql.prepared(
      `INSERT INTO fact_scopes (tenant, ns, id, label, status, current_turn, closed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant, ns, id) DO UPDATE SET status = EXCLUDED.status, current_turn = EXCLUDED.current_turn, closed_at = EXCLUDED.closed_at, updated_at = EXCLUDED.updated_at`,
      [e.tenant, e.ns, d.scope.id, d.scope.label, d.scope.status, d.scope.currentTurn, d.closedScope ? e.at : null, e.at],
    );
  }
  if (d.session) b.noteSession(e, d.session);
  for (const m of d.relief.merged) await setStatus(b, e, [m.id], 'superseded', null, m.into);
  await setStatus(b, e, d.relief.archived, 'archived', null);
  await setStatus(b, e, d.superseded, 'superseded', null, d.fact.id);
  b.addFact(e, d.fact);
  await setStatus(b, e, d.cooled, 'cold', 'scope');
  await setStatus(b, e, d.relief.pushed.filter((id) => !d.cooled.includes(id)), 'cold', 'pressure');
}

async function ticked(b: FactsBatch, e: StoredEvent<FactsTicked>): Promise<void> {
  const d = e.data;
  b.noteSession(e, d.session);
  const scopes = d.cooled.map((x) => x.scopeId);
  if (!scopes.length) return;
  await b.flushFacts();
  await b.sql.prepared(`UPDATE fact_scopes SET status = 'cold', closed_at = $4, updated_at = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [e.tenant, e.ns, scopes, e.at]);
  await b.sql.prepared(
    `UPDATE fact_entries SET status = 'cold', cold_reason = 'scope', updated_at = $4 WHERE tenant = $1 AND ns = $2 AND scope_id = ANY($3::text[]) AND status = 'active'`,
    [e.tenant, e.ns, scopes, e.at],
  );
}

/** A reverted fact: its row back with the tier it had (written again if it was purged since). */
async function restored(b: FactsBatch, e: StoredEvent<FactRestored>): Promise<void> {
  const f = e.data.fact;
  await b.flushFacts();
  await b.sql.prepared(
    `INSERT INTO fact_entries (tenant, ns, id, type, target, content, scope_id, status, cold_reason, hash, turn, created_at, updated_at, seq, superseded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
     ON CONFLICT (tenant, ns, id) DO UPDATE SET status = EXCLUDED.status, cold_reason = EXCLUDED.cold_reason, superseded_by = EXCLUDED.superseded_by, updated_at = EXCLUDED.updated_at`,
    [e.tenant, e.ns, f.id, f.type, f.target, f.content, f.scopeId, f.status, f.coldReason, f.hash, f.turn, f.createdAt, e.at, e.seq, f.supersededBy],
  );
}

/** Every change of a namespace's fact store, applied in log order. */
export const factsProjection: Projection<FactsEvent> = {
  name: 'fact_entries',
  block: 'facts',
  tables: ['fact_entries', 'fact_scopes', 'fact_sessions'],
  canHandle: handles<FactsEvent>({ 'facts.fact_written': true, 'facts.ticked': true, 'facts.accessed': true, 'facts.purged': true, 'facts.fact_restored': true }),
  async apply(sql, events) {
    const b = new FactsBatch(sql);
    for (const e of events) {
      switch (e.type) {
        case 'facts.fact_written':
          await written(b, e);
          break;
        case 'facts.ticked':
          await ticked(b, e);
          break;
        case 'facts.accessed':
          b.noteAccess(e, e.data.ids, e.data.at);
          break;
        case 'facts.purged':
          await b.flushFacts();
          await sql.prepared(`DELETE FROM fact_entries WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [e.tenant, e.ns, e.data.ids]);
          break;
        case 'facts.fact_restored':
          await restored(b, e);
          break;
        default:
          assertNever(e);
      }
    }
    await b.finish();
  },
};
