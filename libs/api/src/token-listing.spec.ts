import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@memsidecar/core';
import type { IssuedToken } from '@memsidecar/auth';
import { TOKEN_ISSUED, TOKEN_REVOKED } from './revocations';
import { listTokens } from './token-listing';

const event = (type: string, data: object): EventEnvelope => ({
  id: 'e',
  type,
  v: 1,
  at: '2030-01-01T00:00:00.000Z',
  tenant: 'memsidecar',
  agent: 'memctl',
  block: 'auth',
  ns: type === TOKEN_ISSUED ? 'issued' : 'tokens',
  entity: (data as { tokenId: string }).tokenId,
  data,
});
const issued = (tokenId: string, expiresAt: string | null, tenant = 'acme'): IssuedToken => ({
  tokenId,
  tenant,
  agent: 'bot',
  namespaces: ['kv/*'],
  ops: ['kv.*'],
  issuedAt: '2030-01-01T00:00:00.000Z',
  expiresAt,
});

describe('auth - token listing from the log', () => {
  it('gives every issued token its status, and revoked ids never issued here a row of their own', () => {
    const listings = listTokens(
      [
        event(TOKEN_ISSUED, issued('forever', null)),
        event(TOKEN_ISSUED, issued('short', '2030-01-01T00:00:01.000Z')),
        event(TOKEN_ISSUED, issued('long', '2030-01-02T00:00:00.000Z', 'other')),
        event(TOKEN_REVOKED, { tokenId: 'long', reason: 'leaked' }),
        event(TOKEN_REVOKED, { tokenId: 'from-elsewhere', reason: '' }),
      ],
      new Date('2030-01-01T00:00:01.000Z'),
    );
    expect(listings.map((t) => [t.tokenId, t.tenant, t.status])).toEqual([
      ['forever', 'acme', 'active'],
      ['short', 'acme', 'expired'],
      ['long', 'other', 'revoked'],
      ['from-elsewhere', null, 'revoked'],
    ]);
    expect(listings[3]).toEqual({ tokenId: 'from-elsewhere', tenant: null, agent: null, namespaces: null, ops: null, issuedAt: null, expiresAt: null, status: 'revoked' });
    expect(listings[0]).toEqual({ ...issued('forever', null), status: 'active' });
  });

  it('is empty for an empty log', () => {
    expect(listTokens([], new Date())).toEqual([]);
  });
});
