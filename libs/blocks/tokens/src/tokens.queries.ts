import type { EventLog } from '@memsidecar/event-store';
import { ProjectionRunner, type Database, type RunnerLogger } from '@memsidecar/projections';
import { tokensProjection } from './tokens.projection';

export type TokenStatus = 'active' | 'expired' | 'revoked';

/**
 * One token as the log knows it. A token revoked without ever being recorded as issued (issued
 * before issuance was recorded, or elsewhere) has only its id: everything else is null.
 */
export interface TokenListing {
  tokenId: string;
  tenant: string | null;
  agent: string | null;
  namespaces: string[] | null;
  ops: string[] | null;
  issuedAt: string | null;
  /** Null for a token that never expires, or one whose issuance is unknown. */
  expiresAt: string | null;
  status: TokenStatus;
}

interface TokenRow {
  token_id: string;
  tenant: string | null;
  agent: string | null;
  namespaces: string[] | null;
  ops: string[] | null;
  issued_at: Date | null;
  expires_at: Date | null;
  revoked: boolean;
}

const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString());

/**
 * Every token of the listing with its status at `now`: issued ones in the order they were issued,
 * then revoked-only ids in the order they were revoked. A tenant leaves out revoked-only ids,
 * whose tenant is unknown.
 */
export async function listTokens(db: Pick<Database, 'prepared'>, now: Date, tenant?: string): Promise<TokenListing[]> {
  const rows = await db.prepared<TokenRow>(
    `SELECT token_id, tenant, agent, namespaces, ops, issued_at, expires_at, revoked_seq IS NOT NULL AS revoked
     FROM auth_tokens WHERE $1::text IS NULL OR tenant = $1 ORDER BY issued_seq NULLS LAST, revoked_seq`,
    [tenant ?? null],
  );
  return rows.map((r) => ({
    tokenId: r.token_id,
    tenant: r.tenant,
    agent: r.agent,
    namespaces: r.namespaces,
    ops: r.ops,
    issuedAt: iso(r.issued_at),
    expiresAt: iso(r.expires_at),
    status: r.revoked ? 'revoked' : r.expires_at !== null && new Date(r.expires_at).getTime() <= now.getTime() ? 'expired' : 'active',
  }));
}

/**
 * The listing with every token event of the log up to now: brings the read model in `db` up to
 * the log's end first (beside a running service's own runner, if any: the checkpoint's claim lets
 * them share the database), then lists. For `memctl token list`, which runs with or without the service.
 */
export async function currentTokenListing(
  store: EventLog,
  db: Database,
  o: { now: Date; tenant?: string; logger: RunnerLogger; timeoutMs: number },
): Promise<TokenListing[]> {
  const runner = new ProjectionRunner(tokensProjection, store, db, o.logger);
  await runner.start();
  try {
    await runner.catchUp(o.timeoutMs);
  } finally {
    await runner.stop();
  }
  return listTokens(db, o.now, o.tenant);
}
