import { assertNever, type StoredEvent } from '@memsidecar/core';
import { columnsOf, handles, jsonText, newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { TokenEvent, TokenIssued, TokenRevoked } from './tokens.events';

// Issuance and revocation write disjoint columns, so a batch applies them in either order.
const UPSERT_ISSUED = `INSERT INTO auth_tokens (token_id, tenant, agent, namespaces, ops, issued_at, expires_at, issued_seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[], $6::timestamptz[], $7::timestamptz[], $8::bigint[])
  ON CONFLICT (token_id) DO UPDATE SET tenant = EXCLUDED.tenant, agent = EXCLUDED.agent, namespaces = EXCLUDED.namespaces,
    ops = EXCLUDED.ops, issued_at = EXCLUDED.issued_at, expires_at = EXCLUDED.expires_at, issued_seq = EXCLUDED.issued_seq`;

const UPSERT_REVOKED = `INSERT INTO auth_tokens (token_id, revoked_seq, revoked_reason)
  SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
  ON CONFLICT (token_id) DO UPDATE SET revoked_seq = EXCLUDED.revoked_seq, revoked_reason = EXCLUDED.revoked_reason`;

async function upsertIssued(m: SqlExecutor, events: StoredEvent<TokenIssued>[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(({ data: d, seq }) => [d.tokenId, d.tenant, d.agent, jsonText(d.namespaces), jsonText(d.ops), d.issuedAt, d.expiresAt, seq]);
  await m.prepared(UPSERT_ISSUED, columnsOf(rows));
}

async function upsertRevoked(m: SqlExecutor, events: StoredEvent<TokenRevoked>[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map(({ data: d, seq }) => [d.tokenId, seq, d.reason]);
  await m.prepared(UPSERT_REVOKED, columnsOf(rows));
}

/** Each aggregate holds one event (appended expecting sequence 0); the newest per aggregate all the same, since one statement may not upsert a row twice. */
function byKind(events: StoredEvent<TokenEvent>[]): { issued: StoredEvent<TokenIssued>[]; revoked: StoredEvent<TokenRevoked>[] } {
  const issued: StoredEvent<TokenIssued>[] = [];
  const revoked: StoredEvent<TokenRevoked>[] = [];
  for (const e of newestPerAggregate(events)) {
    switch (e.type) {
      case 'auth.token_issued':
        issued.push(e);
        break;
      case 'auth.token_revoked':
        revoked.push(e);
        break;
      default:
        assertNever(e);
    }
  }
  return { issued, revoked };
}

/** The token listing (`memctl token list`): issued and revoked token ids. */
export const tokensProjection: Projection<TokenEvent> = {
  name: 'auth_tokens',
  block: 'auth',
  tables: ['auth_tokens'],
  canHandle: handles<TokenEvent>({ 'auth.token_issued': true, 'auth.token_revoked': true }),
  async apply(m, events) {
    const { issued, revoked } = byKind(events);
    await upsertIssued(m, issued);
    await upsertRevoked(m, revoked);
  },
};
