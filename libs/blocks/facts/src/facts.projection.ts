import type { StoredEvent } from '@memsidecar/core';
import type { Projection, SqlExecutor } from '@memsidecar/projections';
import type { FactsAccessed, FactsEvent, FactsPurged, FactsTicked, FactWrittenEvent } from './facts.events';

type Stored = StoredEvent<FactsEvent>;
type Ctx = { sql: SqlExecutor; e: Stored };

const setStatus = ({ sql, e }: Ctx, ids: string[], status: string, coldReason: string | null, supersededBy: string | null = null) =>
  ids.length
    ? sql.query(
        `UPDATE fact_entries SET status = $4, cold_reason = $5, superseded_by = coalesce($6, superseded_by), updated_at = $7 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`,
        [e.tenant, e.ns, ids, status, coldReason, supersededBy, e.at],
      )
    : Promise.resolve([]);

const upsertSession = ({ sql, e }: Ctx, s: { id: string; lastTurn: number; activeScopeId: string | null }) =>
  sql.query(
    `INSERT INTO fact_sessions (tenant, ns, session_id, last_turn, active_scope_id) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant, ns, session_id) DO UPDATE SET last_turn = EXCLUDED.last_turn, active_scope_id = EXCLUDED.active_scope_id`,
    [e.tenant, e.ns, s.id, s.lastTurn, s.activeScopeId],
  );

async function written(c: Ctx): Promise<void> {
  const d = (c.e as StoredEvent<FactWrittenEvent>).data;
  const { sql, e } = c;
  if (d.scope) {
    await sql.query(
      `INSERT INTO fact_scopes (tenant, ns, id, label, status, current_turn, closed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant, ns, id) DO UPDATE SET status = EXCLUDED.status, current_turn = EXCLUDED.current_turn, closed_at = EXCLUDED.closed_at, updated_at = EXCLUDED.updated_at`,
      [e.tenant, e.ns, d.scope.id, d.scope.label, d.scope.status, d.scope.currentTurn, d.closedScope ? e.at : null, e.at],
    );
  }
  if (d.session) await upsertSession(c, d.session);
  for (const m of d.relief.merged) await setStatus(c, [m.id], 'superseded', null, m.into);
  await setStatus(c, d.relief.archived, 'archived', null);
  await setStatus(c, d.superseded, 'superseded', null, d.fact.id);
  const f = d.fact;
  await sql.query(
    `INSERT INTO fact_entries (tenant, ns, id, type, target, content, scope_id, status, cold_reason, hash, turn, created_at, updated_at, seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', NULL, $8, $9, $10, $10, $11) ON CONFLICT DO NOTHING`,
    [e.tenant, e.ns, f.id, f.type, f.target, f.content, f.scopeId, f.hash, f.turn, f.createdAt, e.seq],
  );
  await setStatus(c, d.cooled, 'cold', 'scope');
  await setStatus(c, d.relief.pushed.filter((id) => !d.cooled.includes(id)), 'cold', 'pressure');
}

async function ticked(c: Ctx): Promise<void> {
  const d = (c.e as StoredEvent<FactsTicked>).data;
  const { sql, e } = c;
  await upsertSession(c, d.session);
  const scopes = d.cooled.map((x) => x.scopeId);
  if (!scopes.length) return;
  await sql.query(`UPDATE fact_scopes SET status = 'cold', closed_at = $4, updated_at = $4 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [e.tenant, e.ns, scopes, e.at]);
  await sql.query(
    `UPDATE fact_entries SET status = 'cold', cold_reason = 'scope', updated_at = $4 WHERE tenant = $1 AND ns = $2 AND scope_id = ANY($3::text[]) AND status = 'active'`,
    [e.tenant, e.ns, scopes, e.at],
  );
}

/** Every change of a namespace's fact store, applied in log order. */
export const factsProjection: Projection = {
  name: 'fact_entries',
  block: 'facts',
  tables: ['fact_entries', 'fact_scopes', 'fact_sessions'],
  async apply(sql, events) {
    for (const e of events as Stored[]) {
      const c = { sql, e };
      switch (e.type) {
        case 'facts.fact_written':
          await written(c);
          break;
        case 'facts.ticked':
          await ticked(c);
          break;
        case 'facts.accessed': {
          const d = (e as StoredEvent<FactsAccessed>).data;
          await sql.query(`UPDATE fact_entries SET last_accessed_at = $4, access_count = access_count + 1 WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [e.tenant, e.ns, d.ids, d.at]);
          break;
        }
        case 'facts.purged':
          await sql.query(`DELETE FROM fact_entries WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`, [e.tenant, e.ns, (e as StoredEvent<FactsPurged>).data.ids]);
          break;
      }
    }
  },
};
