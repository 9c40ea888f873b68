import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EventStore } from '@memsidecar/event-store';
import { BOOKKEEPING_MIGRATIONS, Database } from '@memsidecar/projections';
import { startTestNats, type TestNats } from '@memsidecar/testing';
import { tokensBlock } from './tokens.block';
import { currentTokenListing } from './tokens.queries';
import { recordTokenIssued, revokeToken } from './tokens.records';

const options = { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 };
const quiet = { log: () => {}, warn: () => {}, error: () => {} };
const grant = (tokenId: string, expiresAt: string | null = null) => ({
  tokenId,
  tenant: 'acme',
  agent: 'bot',
  namespaces: ['kv/*'],
  ops: ['kv.get'],
  issuedAt: '2030-01-01T00:00:00.000Z',
  expiresAt,
});

describe('auth - the token listing as memctl reads it: brought up to the log first', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let store: EventStore;
  let db: Database;
  const now = new Date('2030-01-01T00:00:01.000Z');
  const listed = async (tenant?: string) =>
    (await currentTokenListing(store, db, { now, tenant, logger: quiet, timeoutMs: 10_000 })).map((t) => [t.tokenId, t.tenant, t.status]);

  beforeAll(async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    store = await EventStore.open(nc, options);
    db = await Database.open({ pgliteDir: 'memory://', entities: tokensBlock.entities, migrations: [...BOOKKEEPING_MIGRATIONS, ...tokensBlock.migrations] });
  });

  afterAll(async () => {
    await db?.close();
    await nc?.close();
    await nats?.stop();
  });

  it('lists what the log records, and what was recorded since the last listing', async () => {
    expect(await listed()).toEqual([]);
    await recordTokenIssued(store, grant('a'), 'memctl');
    await recordTokenIssued(store, grant('b', '2030-01-01T00:00:01.000Z'), 'memctl');
    await revokeToken(store, 'elsewhere', '', 'memctl');
    expect(await listed()).toEqual([
      ['a', 'acme', 'active'],
      ['b', 'acme', 'expired'],
      ['elsewhere', null, 'revoked'],
    ]);
    await revokeToken(store, 'a', 'leaked', 'memctl');
    await recordTokenIssued(store, { ...grant('c'), tenant: 'other' }, 'memctl');
    expect(await listed()).toEqual([
      ['a', 'acme', 'revoked'],
      ['b', 'acme', 'expired'],
      ['c', 'other', 'active'],
      ['elsewhere', null, 'revoked'],
    ]);
    expect(await listed('other')).toEqual([['c', 'other', 'active']]);
  });
});
