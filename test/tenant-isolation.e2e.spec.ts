import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/**
 * What tenant isolation needs a running service for: lease.acquire, which waits on the log's
 * subjects in JetStream. Every other operation of every block, read and write, is specified in
 * process: test/in-process/tenant-isolation.spec.ts (which checks that it covers all of them but
 * this one).
 */
describe('tenant isolation - leases acquired over NATS', () => {
  const f = serviceFixture('postgres');
  let a: NatsTestClient;
  let b: NatsTestClient;

  beforeAll(() => {
    a = f.client.withToken(f.service.token({ tenant: 'alpha', agent: 'a', namespaces: ['*'], ops: ['*'] }));
    b = f.client.withToken(f.service.token({ tenant: 'beta', agent: 'b', namespaces: ['*'], ops: ['*'] }));
  });

  it('a lease held in one tenant leaves the key free in another, and neither touches the other’s', async () => {
    const alpha = await a.ok('lease.acquire', { ns: 'shared', key: 'lock', ttlMs: 60_000 });
    expect(await b.ok('lease.inspect', { ns: 'shared', key: 'lock' })).toEqual({ held: false });
    expect((await b.call('lease.release', { ns: 'shared', key: 'lock', holderId: alpha.holderId })).body).toEqual({ existed: false });
    expect(await b.ok('lease.acquire', { ns: 'shared', key: 'lock', ttlMs: 60_000 })).toMatchObject({ fencingToken: 1 });
    expect((await b.call('lease.renew', { ns: 'shared', key: 'lock', holderId: alpha.holderId })).error).toMatchObject({ reason: 'NOT_HOLDER' });
    expect(await a.ok('lease.inspect', { ns: 'shared', key: 'lock' })).toMatchObject({ held: true, holderId: alpha.holderId });
  });
});
