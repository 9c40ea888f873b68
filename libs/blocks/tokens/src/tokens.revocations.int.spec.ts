import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { EventStore } from '@memsidecar/event-store';
import { startRestartableNats, until, waitFor, type RestartableNats } from '@memsidecar/testing';
import { recordTokenIssued, revokeToken } from './tokens.records';
import { RevocationList } from './tokens.revocations';

const options = { prefix: 'mem', stream: 'MEMSIDECAR', replicas: 1, duplicateWindowMs: 120_000 };
const quiet = { log: () => {}, error: () => {} };

/** Appends a revocation in the window between the initial read and the start of the following. */
class RacedRevocationList extends RevocationList {
  constructor(private readonly inBetween: () => Promise<void>) {
    super(quiet);
  }

  protected override async afterInitialRead(): Promise<void> {
    await this.inBetween();
  }
}

describe('revocation list - following the log', () => {
  let server: RestartableNats;
  let nc: NatsConnection;
  let store: EventStore;
  const lists: RevocationList[] = [];

  beforeAll(async () => {
    server = await startRestartableNats();
    nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    store = await EventStore.open(nc, options);
  });

  afterEach(async () => {
    await Promise.all(lists.splice(0).map((l) => l.close()));
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('knows the revocations that existed when follow() was called as soon as it resolves', async () => {
    await revokeToken(store, 'before-1', 'leaked', 'test');
    await revokeToken(store, 'before-2', 'leaked', 'test');
    const list = new RevocationList(quiet);
    lists.push(list);
    await list.follow(store);
    expect(list.has('before-1')).toBe(true);
    expect(list.has('before-2')).toBe(true);
    expect(list.has('never')).toBe(false);
  });

  it('sees a revocation appended between the initial read and the start of the following', async () => {
    await revokeToken(store, 'read-first', 'leaked', 'test');
    const list = new RacedRevocationList(async () => {
      await revokeToken(store, 'in-between', 'leaked', 'test');
    });
    lists.push(list);
    await list.follow(store);
    expect(list.has('read-first')).toBe(true);
    await until(() => list.has('in-between'), 5_000);
    // And the ones after that too.
    await revokeToken(store, 'after', 'leaked', 'test');
    await until(() => list.has('after'), 5_000);
  });

  it('sees a revocation appended after its consumer was deleted from under it', async () => {
    const list = new RevocationList(quiet);
    lists.push(list);
    await list.follow(store);
    for await (const c of await store.jsm.consumers.list(store.stream)) await store.jsm.consumers.delete(store.stream, c.name);
    await revokeToken(store, 'after-delete', 'leaked', 'test');
    await until(() => list.has('after-delete'), 8_000);
  });

  it('sees a revocation appended after nats-server restarted, within seconds', async () => {
    const list = new RevocationList(quiet);
    lists.push(list);
    await list.follow(store);
    await revokeToken(store, 'before-restart', 'leaked', 'test');
    await until(() => list.has('before-restart'), 5_000);

    await server.restart();
    await waitFor(() => store.lastSeq('mem.evt.>'), () => true, 20_000);

    await revokeToken(store, 'after-restart', 'leaked', 'test');
    // The consumer died with the server; the client's own defaults would notice after 30-60 s.
    const revokedAt = Date.now();
    await until(() => list.has('after-restart'), 8_000);
    expect(Date.now() - revokedAt).toBeLessThan(8_000);
  }, 60_000);
});

describe('token records - the events as the log has always held them', () => {
  let server: RestartableNats;
  let nc: NatsConnection;
  let store: EventStore;

  beforeAll(async () => {
    server = await startRestartableNats();
    nc = await connect({ servers: server.url });
    store = await EventStore.open(nc, options);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  const recorded = async (ns: string, tokenId: string) => {
    const read = [];
    for await (const e of store.read({ filter: `mem.evt.auth.memsidecar.${ns}.${tokenId}` })) read.push(e);
    return read;
  };

  it('records an issuance once, on its own subject, with the grant field by field', async () => {
    const grant = { tokenId: 'rec-1', tenant: 'acme', agent: 'bot', namespaces: ['kv/*'], ops: ['kv.get'], issuedAt: '2030-01-01T00:00:00.000Z', expiresAt: null };
    expect(await recordTokenIssued(store, { ...grant, token: 'never-logged' } as typeof grant, 'memctl')).toBe(true);
    expect(await recordTokenIssued(store, { ...grant, tenant: 'other' }, 'memctl')).toBe(false);
    const [e, ...more] = await recorded('issued', 'rec-1');
    expect(more).toEqual([]);
    expect(Object.keys(e).filter((k) => k !== 'seq')).toEqual(['id', 'type', 'v', 'at', 'tenant', 'agent', 'block', 'ns', 'entity', 'data']);
    expect(e).toMatchObject({ type: 'auth.token_issued', v: 1, tenant: 'memsidecar', agent: 'memctl', block: 'auth', ns: 'issued', entity: 'rec-1' });
    expect(JSON.stringify(e.data)).toBe(JSON.stringify(grant));
  });

  it('records a revocation once, issued here or not', async () => {
    expect(await revokeToken(store, 'rec-2', 'leaked', 'memctl')).toBe(true);
    expect(await revokeToken(store, 'rec-2', 'again', 'memctl')).toBe(false);
    const [e, ...more] = await recorded('tokens', 'rec-2');
    expect(more).toEqual([]);
    expect(e).toMatchObject({ type: 'auth.token_revoked', v: 1, tenant: 'memsidecar', agent: 'memctl', block: 'auth', ns: 'tokens', entity: 'rec-2' });
    expect(JSON.stringify(e.data)).toBe(JSON.stringify({ tokenId: 'rec-2', reason: 'leaked' }));
  });
});
