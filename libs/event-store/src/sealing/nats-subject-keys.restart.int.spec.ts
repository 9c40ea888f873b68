import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startRestartableNats, waitFor, type RestartableNats } from '@memsidecar/testing';
import type { ErasureSubject } from './erasure-subject';
import { NatsSubjectKeys } from './nats-subject-keys';

describe('data keys - an instance keeps hearing of erasures after nats-server restarts', () => {
  let nats: RestartableNats;
  let ncs: NatsConnection[];
  let watcher: NatsSubjectKeys;
  let eraser: NatsSubjectKeys;
  const heard: ErasureSubject[] = [];

  beforeAll(async () => {
    nats = await startRestartableNats();
    const options = { servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 };
    ncs = [await connect(options), await connect(options)];
    watcher = await NatsSubjectKeys.open(ncs[0], { bucket: 'RESTART_KEYS', replicas: 1 });
    eraser = await NatsSubjectKeys.open(ncs[1], { bucket: 'RESTART_KEYS', replicas: 1 });
    watcher.onDestroyed((s) => heard.push(s));
  });
  afterAll(async () => {
    await watcher?.close();
    await eraser?.close();
    for (const nc of ncs ?? []) await nc.close();
    await nats?.stop();
  });

  it('drops a key another instance destroyed after the restart', async () => {
    const key = await watcher.current('acme', 'notes');
    expect((await watcher.find(key.id))?.equals(key.key)).toBe(true);
    await nats.restart();
    // The eraser's destruction goes through once its connection is back.
    await waitFor(() => eraser.destroy({ tenant: 'acme', ns: 'notes' }), (ids) => ids.length === 1, 20_000);
    await waitFor(async () => heard.length, (n) => n > 0, 20_000);
    expect(heard).toContainEqual({ tenant: 'acme', ns: 'notes' });
    expect(await watcher.find(key.id)).toBeNull();
  }, 60_000);
});
