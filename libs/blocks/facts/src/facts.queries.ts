import type { Provenance } from '@memsidecar/core';
import type { Database } from '@memsidecar/projections';
import type { Fact, FactSession, FactState, Scope } from './facts.model';
import type { FactType } from './notation';

interface FactRow {
  id: string;
  type: FactType;
  target: string;
  content: string;
  scope_id: string | null;
  status: Fact['status'];
  cold_reason: Fact['coldReason'];
  hash: string;
  turn: number;
  created_at: Date;
  last_accessed_at: Date | null;
  updated_at: Date;
  scope_label?: string | null;
  provenance?: Provenance | null;
}

const toFact = (r: FactRow): Fact => ({
  id: r.id,
  type: r.type,
  target: r.target,
  content: r.content,
  scopeId: r.scope_id,
  status: r.status,
  coldReason: r.cold_reason,
  hash: r.hash,
  turn: r.turn,
  createdAt: r.created_at.toISOString(),
  lastAccessedAt: r.last_accessed_at ? r.last_accessed_at.toISOString() : null,
});

const toScope = (r: { id: string; label: string; status: Scope['status']; current_turn: number }): Scope => ({
  id: r.id,
  label: r.label,
  status: r.status,
  currentTurn: r.current_turn,
});

export interface FactHit extends Fact {
  scopeLabel: string | null;
  provenance: Provenance | null;
}

const toHit = (r: FactRow): FactHit => ({ ...toFact(r), scopeLabel: r.scope_label ?? null, provenance: r.provenance ?? null });

const FACT_COLUMNS = `f.id, f.type, f.target, f.content, f.scope_id, f.status, f.cold_reason, f.hash, f.turn, f.created_at, f.last_accessed_at, f.updated_at, f.provenance, s.label AS scope_label`;
const FROM = `fact_entries f LEFT JOIN fact_scopes s ON s.tenant = f.tenant AND s.ns = f.ns AND s.id = f.scope_id`;

/**
 * Query terms: identifier-like words match as prefixes (`auth` finds `auth.jwt`), anything else as
 * a phrase; all terms must match.
 */
export function tsQueryParts(query: string): { prefixes: string[]; phrases: string[] } {
  const words = query.split(/\s+/).filter(Boolean);
  return {
    prefixes: words.filter((w) => /^[\p{L}\p{N}_]+$/u.test(w)).map((w) => `${w.toLowerCase()}:*`),
    phrases: words.filter((w) => !/^[\p{L}\p{N}_]+$/u.test(w)),
  };
}

/** Reads of the facts read models: fixed texts are prepared; a search's text depends on its terms. */
export class FactsQueries {
  constructor(private readonly db: Database) {}

  async counted(tenant: string, ns: string): Promise<Fact[]> {
    const rows = await this.db.prepared<FactRow>(
      `SELECT ${FACT_COLUMNS} FROM ${FROM} WHERE f.tenant = $1 AND f.ns = $2 AND (f.status = 'active' OR (f.status = 'cold' AND f.cold_reason = 'scope'))`,
      [tenant, ns],
    );
    return rows.map(toFact);
  }

  /** One fact as the read model holds it now, whatever its tier; null once purged (or never written). */
  async state(tenant: string, ns: string, id: string): Promise<FactState | null> {
    const rows = await this.db.prepared<FactRow & { superseded_by: string | null }>(
      `SELECT ${FACT_COLUMNS}, f.superseded_by FROM ${FROM} WHERE f.tenant = $1 AND f.ns = $2 AND f.id = $3`,
      [tenant, ns, id],
    );
    return rows[0] ? { ...toFact(rows[0]), supersededBy: rows[0].superseded_by } : null;
  }

  async byHash(tenant: string, ns: string, hash: string): Promise<FactHit | null> {
    const rows = await this.db.prepared<FactRow>(
      `SELECT ${FACT_COLUMNS} FROM ${FROM} WHERE f.tenant = $1 AND f.ns = $2 AND f.hash = $3 AND f.status IN ('active', 'cold') ORDER BY f.created_at DESC LIMIT 1`,
      [tenant, ns, hash],
    );
    return rows[0] ? toHit(rows[0]) : null;
  }

  /** The scope with this label: the open one if any, else the most recently used. */
  async scopeByLabel(tenant: string, ns: string, label: string): Promise<Scope | null> {
    const rows = await this.db.prepared<{ id: string; label: string; status: Scope['status']; current_turn: number }>(
      `SELECT id, label, status, current_turn FROM fact_scopes WHERE tenant = $1 AND ns = $2 AND label = $3 ORDER BY (status = 'active') DESC, updated_at DESC LIMIT 1`,
      [tenant, ns, label],
    );
    return rows[0] ? toScope(rows[0]) : null;
  }

  async scope(tenant: string, ns: string, id: string | null): Promise<Scope | null> {
    if (!id) return null;
    const rows = await this.db.prepared<{ id: string; label: string; status: Scope['status']; current_turn: number }>(
      `SELECT id, label, status, current_turn FROM fact_scopes WHERE tenant = $1 AND ns = $2 AND id = $3`,
      [tenant, ns, id],
    );
    return rows[0] ? toScope(rows[0]) : null;
  }

  async openScopes(tenant: string, ns: string): Promise<Scope[]> {
    const rows = await this.db.prepared<{ id: string; label: string; status: Scope['status']; current_turn: number }>(
      `SELECT id, label, status, current_turn FROM fact_scopes WHERE tenant = $1 AND ns = $2 AND status = 'active' ORDER BY label`,
      [tenant, ns],
    );
    return rows.map(toScope);
  }

  async session(tenant: string, ns: string, sessionId: string | undefined): Promise<FactSession | null> {
    if (!sessionId) return null;
    const rows = await this.db.prepared<{ session_id: string; last_turn: number; active_scope_id: string | null }>(
      `SELECT session_id, last_turn, active_scope_id FROM fact_sessions WHERE tenant = $1 AND ns = $2 AND session_id = $3`,
      [tenant, ns, sessionId],
    );
    return rows[0] ? { id: rows[0].session_id, lastTurn: rows[0].last_turn, activeScopeId: rows[0].active_scope_id } : null;
  }

  /** Scopes written to (null = unscoped) in the turns after `sinceTurn`. */
  async recentScopeIds(tenant: string, ns: string, sinceTurn: number): Promise<(string | null)[]> {
    const rows = await this.db.prepared<{ scope_id: string | null }>(
      `SELECT DISTINCT scope_id FROM fact_entries WHERE tenant = $1 AND ns = $2 AND turn > $3`,
      [tenant, ns, sinceTurn],
    );
    return rows.map((r) => r.scope_id);
  }

  /** Full-text search over active and cold facts, best first; superseded and archived never appear. */
  async search(tenant: string, ns: string, query: string, scopeId: string | null, limit: number): Promise<FactHit[]> {
    const { prefixes, phrases } = tsQueryParts(query);
    const params: unknown[] = [tenant, ns];
    const terms: string[] = [];
    if (prefixes.length) {
      params.push(prefixes.map((p) => `'${p.slice(0, -2).replace(/'/g, "''")}':*`).join(' & '));
      terms.push(`to_tsquery('simple', $${params.length})`);
    }
    for (const phrase of phrases) {
      params.push(phrase);
      terms.push(`phraseto_tsquery('simple', $${params.length})`);
    }
    if (!terms.length) return [];
    let scopeFilter = '';
    if (scopeId) {
      params.push(scopeId);
      scopeFilter = `AND f.scope_id = $${params.length}`;
    }
    const q = terms.join(' && ');
    params.push(Math.floor(limit));
    // The text depends on the number of phrases: an unnamed statement.
    const rows = await this.db.query<FactRow>(
      `SELECT ${FACT_COLUMNS} FROM ${FROM} WHERE f.tenant = $1 AND f.ns = $2 AND f.status IN ('active', 'cold') ${scopeFilter}
         AND f.tsv @@ (${q}) ORDER BY ts_rank(f.tsv, ${q}) DESC, f.updated_at DESC, f.id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toHit);
  }

  /** Hot facts (active, unscoped or in an open scope), newest first. */
  async hot(tenant: string, ns: string): Promise<FactHit[]> {
    const rows = await this.db.prepared<FactRow>(
      `SELECT ${FACT_COLUMNS} FROM ${FROM} WHERE f.tenant = $1 AND f.ns = $2 AND f.status = 'active' AND (f.scope_id IS NULL OR s.status = 'active') ORDER BY f.updated_at DESC, f.id`,
      [tenant, ns],
    );
    return rows.map(toHit);
  }

  async coldCount(tenant: string, ns: string): Promise<number> {
    const rows = await this.db.prepared<{ n: string }>(`SELECT count(*) AS n FROM fact_entries WHERE tenant = $1 AND ns = $2 AND status = 'cold'`, [tenant, ns]);
    return Number(rows[0].n);
  }

  async export(tenant: string, ns: string, statuses: string[], scopeId: string | null): Promise<FactHit[]> {
    const rows = await this.db.prepared<FactRow>(
      `SELECT ${FACT_COLUMNS} FROM ${FROM} WHERE f.tenant = $1 AND f.ns = $2 AND f.status = ANY($3::text[]) AND ($4::text IS NULL OR f.scope_id = $4)
       ORDER BY (f.status = 'active') DESC, f.created_at DESC, f.id`,
      [tenant, ns, statuses, scopeId],
    );
    return rows.map(toHit);
  }

  /** Purgeable: superseded and archived facts, optionally only those untouched for `days`. */
  async purgeable(tenant: string, ns: string, scopeId: string | null, olderThan: Date | null): Promise<string[]> {
    const rows = await this.db.prepared<{ id: string }>(
      `SELECT id FROM fact_entries WHERE tenant = $1 AND ns = $2 AND status IN ('superseded', 'archived') AND ($3::text IS NULL OR scope_id = $3)
         AND ($4::timestamptz IS NULL OR (updated_at < $4 AND (last_accessed_at IS NULL OR last_accessed_at < $4)))`,
      [tenant, ns, scopeId, olderThan],
    );
    return rows.map((r) => r.id);
  }
}
