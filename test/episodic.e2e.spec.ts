import { beforeAll, describe, expect, it } from 'vitest';
import { NatsTestClient } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

/**
 * What episodic needs a running service for: appends contending over many NATS connections, and a
 * tail streamed over NATS whose live part follows the JetStream log until `Mem-End`. Its behaviour
 * (cursors, dedup, range bounds, supersedes, expire, tail history, deadline and permissions, bad
 * input) is specified in process: test/in-process/episodic.spec.ts.
 */
describe.each(['postgres', 'pglite'] as const)('episodic - end to end over NATS on %s', (kind) => {
  const f = serviceFixture(kind);
  let client: NatsTestClient;
  const append = (ns: string, body: Record<string, unknown> = {}) => client.ok('episodic.append', { ns, type: 'message', ...body });
  beforeAll(() => {
    client = f.client;
  });

  it('1000 concurrent appends from 20 clients get 1000 distinct, dense cursors', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => NatsTestClient.connect(f.nats.url, f.service.adminToken())));
    const got: number[] = [];
    try {
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < 50; i++) got.push((await c.ok('episodic.append', { ns: 'concurrent', type: 't' }, { timeoutMs: 30_000 })).cursor);
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('tail sends history after afterCursor, then live events, in order with no gap or duplicate, then Mem-End', async () => {
    for (let i = 1; i <= 3; i++) await append('tail', { payload: i });
    let writer: Promise<void> | undefined;
    const { items } = await client.stream('episodic.tail', { ns: 'tail', afterCursor: 1, maxEvents: 6, maxMs: 10_000 }, {
      onItem: (_item, index) => {
        if (index === 0) writer = (async () => { for (let i = 4; i <= 7; i++) await append('tail', { payload: i }); })();
      },
    });
    await writer;
    expect(items.map((e) => e.cursor)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(items.map((e) => e.payload)).toEqual([2, 3, 4, 5, 6, 7]);
  });
});
