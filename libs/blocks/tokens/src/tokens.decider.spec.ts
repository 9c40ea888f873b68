import { describe, expect, it } from 'vitest';
import type { CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { tokenDecider } from './tokens.decider';
import type { TokenEvent, TokenIssuedData } from './tokens.events';

const spec = deciderSpec(tokenDecider, expect);
const meta: CommandMeta = { now: new Date('2030-01-01T00:00:00.000Z'), tenant: 'memsidecar', agent: 'memctl' };
const grant: TokenIssuedData = {
  tokenId: 't-1',
  tenant: 'acme',
  agent: 'bot',
  namespaces: ['kv/*'],
  ops: ['kv.get'],
  issuedAt: '2030-01-01T00:00:00.000Z',
  expiresAt: null,
};
const issued: TokenEvent = { type: 'auth.token_issued', v: 1, data: grant };
const revoked = (reason: string): TokenEvent => ({ type: 'auth.token_revoked', v: 1, data: { tokenId: 't-1', reason } });

describe('tokens decider - issuance', () => {
  it('records what a new token grants', () => {
    spec.given([]).when({ type: 'RecordIssuance', issued: grant }, meta).then(issued);
  });

  it('records the grant field by field: nothing else the caller passes reaches the log', () => {
    const extra = { ...grant, token: 'v4.public.secret', note: 'x' };
    spec.given([]).when({ type: 'RecordIssuance', issued: extra }, meta).then(issued);
  });

  it('records a token id once: a second issuance changes nothing', () => {
    spec.given([issued]).when({ type: 'RecordIssuance', issued: { ...grant, tenant: 'other' } }, meta).then(null);
  });
});

describe('tokens decider - revocation', () => {
  it('revokes a token, issued here or not', () => {
    spec.given([]).when({ type: 'RevokeToken', tokenId: 't-1', reason: 'leaked' }, meta).then(revoked('leaked'));
    spec.given([issued]).when({ type: 'RevokeToken', tokenId: 't-1', reason: '' }, meta).then(revoked(''));
  });

  it('revoking a token already revoked changes nothing', () => {
    spec.given([revoked('leaked')]).when({ type: 'RevokeToken', tokenId: 't-1', reason: 'again' }, meta).then(null);
  });
});
