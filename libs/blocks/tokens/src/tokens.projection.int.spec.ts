import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { Database } from '@memsidecar/projections';
import { TOKEN_ISSUED, TOKEN_REVOKED, type TokenEvent, type TokenIssuedData } from './tokens.events';
import { tokensBlock } from './tokens.block';
import { tokensProjection } from './tokens.projection';
import { listTokens } from './tokens.queries';

let seq = 0;
const event = (type: TokenEvent['type'], data: object): StoredEvent<TokenEvent> =>
  ({
    seq: ++seq,
    id: `e-${seq}`,
    type,
    v: 1,
    at: '2030-01-01T00:00:00.000Z',
    tenant: 'memsidecar',
    agent: 'memctl',
    block: 'auth',
    ns: type === TOKEN_ISSUED ? 'issued' : 'tokens',
    entity: (data as { tokenId: string }).tokenId,
    data,
  }) as StoredEvent<TokenEvent>;
const issued = (tokenId: string, expiresAt: string | null, tenant = 'acme'): TokenIssuedData => ({
  tokenId,
  tenant,
  agent: 'bot',
  namespaces: ['kv/*'],
  ops: ['kv.*'],
  issuedAt: '2030-01-01T00:00:00.000Z',
  expiresAt,
});

describe('auth - token listing read model', () => {
  let db: Database;
  const apply = async (...batches: StoredEvent<TokenEvent>[][]) => {
    for (const batch of batches) await db.transaction((sql) => tokensProjection.apply(sql, batch));
  };
  const log = () => [
    event(TOKEN_ISSUED, issued('forever', null)),
    event(TOKEN_REVOKED, { tokenId: 'from-elsewhere', reason: '' }),
    event(TOKEN_ISSUED, issued('short', '2030-01-01T00:00:01.000Z')),
    event(TOKEN_ISSUED, issued('long', '2030-01-02T00:00:00.000Z', 'other')),
    event(TOKEN_REVOKED, { tokenId: 'long', reason: 'leaked' }),
    event(TOKEN_REVOKED, { tokenId: 'before-issued', reason: '' }),
    event(TOKEN_ISSUED, issued('before-issued', null)),
  ];
  const expected = [
    ['forever', 'acme', 'active'],
    ['short', 'acme', 'expired'],
    ['long', 'other', 'revoked'],
    ['before-issued', 'acme', 'revoked'],
    ['from-elsewhere', null, 'revoked'],
  ];
  const now = new Date('2030-01-01T00:00:01.000Z');

  beforeAll(async () => {
    db = await Database.open({ pgliteDir: 'memory://', entities: tokensBlock.entities, migrations: tokensBlock.migrations });
  });

  beforeEach(async () => {
    await db.query(`TRUNCATE auth_tokens`);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('gives every issued token its status, and revoked ids never issued here a row of their own', async () => {
    await apply(log());
    const listings = await listTokens(db, now);
    expect(listings.map((t) => [t.tokenId, t.tenant, t.status])).toEqual(expected);
    expect(listings[4]).toEqual({ tokenId: 'from-elsewhere', tenant: null, agent: null, namespaces: null, ops: null, issuedAt: null, expiresAt: null, status: 'revoked' });
    expect(listings[0]).toEqual({ ...issued('forever', null), status: 'active' });
    expect(listings[1]).toEqual({ ...issued('short', '2030-01-01T00:00:01.000Z'), status: 'expired' });
  });

  it('lists the same whether the events come in one batch or one by one', async () => {
    await apply(...log().map((e) => [e]));
    expect((await listTokens(db, now)).map((t) => [t.tokenId, t.tenant, t.status])).toEqual(expected);
  });

  it('filters by tenant, leaving out revoked-only ids', async () => {
    await apply(log());
    expect((await listTokens(db, now, 'acme')).map((t) => t.tokenId)).toEqual(['forever', 'short', 'before-issued']);
    expect((await listTokens(db, now, 'nobody')).map((t) => t.tokenId)).toEqual([]);
  });

  it('is empty for an empty log', async () => {
    expect(await listTokens(db, new Date())).toEqual([]);
  });

  it('folds both token events and nothing else', () => {
    expect(tokensProjection.canHandle(event(TOKEN_ISSUED, issued('x', null)))).toBe(true);
    expect(tokensProjection.canHandle(event(TOKEN_REVOKED, { tokenId: 'x', reason: '' }))).toBe(true);
    expect(tokensProjection.canHandle({ ...event(TOKEN_REVOKED, { tokenId: 'x', reason: '' }), type: 'auth.token_renamed' } as never)).toBe(false);
  });
});
