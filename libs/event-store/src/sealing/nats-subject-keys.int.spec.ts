import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isMemError } from '@memsidecar/core';
import { startTestNats, waitFor, type TestNats } from '@memsidecar/testing';
import type { ErasureSubject } from './erasure-subject';
import { MasterKey } from './master-key';
import { NatsSubjectKeys } from './nats-subject-keys';

const BUCKET = 'SPEC_KEYS';

describe('data keys in a NATS KV bucket - shared by instances, destroyed for good', () => {
  let nats: TestNats;
  let ncs: NatsConnection[];
  let a: NatsSubjectKeys;
  let b: NatsSubjectKeys;
  const forgotten: ErasureSubject[] = [];

  beforeAll(async () => {
    nats = await startTestNats();
    ncs = [await connect({ servers: nats.url }), await connect({ servers: nats.url })];
    a = await NatsSubjectKeys.open(ncs[0], { bucket: BUCKET, replicas: 1 });
    b = await NatsSubjectKeys.open(ncs[1], { bucket: BUCKET, replicas: 1 });
    b.onDestroyed((s) => forgotten.push(s));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const nc of ncs ?? []) await nc.close();
    await nats?.stop();
  });

  it('gives two instances asking at once the same key for a namespace, and each namespace its own', async () => {
    const [fromA, fromB] = await Promise.all([a.current('acme', 'notes'), b.current('acme', 'notes')]);
    expect(fromA.id).toBe(fromB.id);
    expect(fromA.key.equals(fromB.key)).toBe(true);
    expect(fromA.key).toHaveLength(32);
    const other = await a.current('acme', 'chat');
    expect(other.id).not.toBe(fromA.id);
    expect((await b.find(other.id))?.equals(other.key)).toBe(true);
  });

  it('destroys a namespace key: overwritten in the stream, unknown to every instance, the other namespaces kept', async () => {
    const notes = await a.current('acme', 'notes');
    const chat = await a.current('acme', 'chat');
    expect(await b.find(notes.id)).not.toBeNull();
    const destroyed = await a.destroy({ tenant: 'acme', ns: 'notes' });
    expect(destroyed).toEqual([notes.id]);
    expect(await a.find(notes.id)).toBeNull();
    await waitFor(async () => forgotten.length, (n) => n > 0, 5_000);
    expect(forgotten).toContainEqual({ tenant: 'acme', ns: 'notes' });
    expect(await b.find(notes.id)).toBeNull();
    expect((await b.find(chat.id))?.equals(chat.key)).toBe(true);
    // The key's message is gone from the bucket's stream: nothing there holds its bytes.
    const jsm = await jetstreamManager(ncs[0]);
    const stored = (id: string) => jsm.streams.getMessage(`KV_${BUCKET}`, { seq: Number(id.split('@')[1]) });
    expect(await stored(notes.id)).toBeNull();
    expect(await stored(chat.id)).not.toBeNull();
  });

  it('refuses a new key for the subject until it is released, then creates a new generation', async () => {
    const refused = await b.current('acme', 'notes').catch((e: unknown) => e);
    expect(isMemError(refused) && refused.code).toBe('UNAVAILABLE');
    await a.release({ tenant: 'acme', ns: 'notes' });
    const fresh = await b.current('acme', 'notes');
    expect(fresh.id).not.toBe((await a.current('acme', 'chat')).id);
    expect(Number(fresh.id.split('@')[1])).toBeGreaterThan(0);
  });

  it('destroys every namespace of a tenant and no other tenant’s', async () => {
    const kept = await a.current('globex', 'notes');
    const ids = [(await a.current('acme', 'notes')).id, (await a.current('acme', 'chat')).id].sort();
    expect((await b.destroy({ tenant: 'acme' })).sort()).toEqual(ids);
    for (const id of ids) expect(await a.find(id)).toBeNull();
    expect((await a.find(kept.id))?.equals(kept.key)).toBe(true);
    expect(await a.current('acme', 'new-ns').catch((e: unknown) => isMemError(e) && e.code)).toBe('UNAVAILABLE');
    await b.release({ tenant: 'acme' });
    expect((await a.current('acme', 'new-ns')).key).toHaveLength(32);
  });

  it('with a master key, stores data keys wrapped: the bucket alone opens nothing', async () => {
    const master = MasterKey.of(randomBytes(32));
    const bucket = 'SPEC_WRAPPED_KEYS';
    const wrapping = await NatsSubjectKeys.open(ncs[0], { bucket, replicas: 1, masterKey: master });
    const sameMaster = await NatsSubjectKeys.open(ncs[1], { bucket, replicas: 1, masterKey: master });
    const noMaster = await NatsSubjectKeys.open(ncs[1], { bucket, replicas: 1 });
    const otherMaster = await NatsSubjectKeys.open(ncs[1], { bucket, replicas: 1, masterKey: MasterKey.of(randomBytes(32)) });
    try {
      const key = await wrapping.current('acme', 'notes');
      const stored = (await (await new Kvm(ncs[0]).open(bucket)).get(key.id.split('@')[0]))!.string();
      expect(stored).toContain('wrapped');
      expect(stored).not.toContain(key.key.toString('base64'));
      expect((await sameMaster.find(key.id))?.equals(key.key)).toBe(true);
      for (const keys of [noMaster, otherMaster]) expect(await keys.find(key.id).catch((e: unknown) => isMemError(e) && e.code)).toBe('UNAVAILABLE');
    } finally {
      for (const keys of [wrapping, sameMaster, noMaster, otherMaster]) await keys.close();
    }
  });
});
