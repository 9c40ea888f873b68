import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startRestartableNats, type RestartableNats } from '@memsidecar/testing';
import { JetStreamPublisher } from './jetstream-publisher';

describe('JetStream publisher', () => {
  let nats: RestartableNats;
  let nc: NatsConnection;
  let publisher: JetStreamPublisher;

  beforeAll(async () => {
    nats = await startRestartableNats();
    nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PUB', subjects: ['pub.>'], duplicate_window: 60_000_000_000 });
    publisher = new JetStreamPublisher(nc, 2_000);
  });

  afterAll(async () => {
    publisher.close();
    await nc.close();
    await nats.stop();
  });

  it('answers each of many publishes of one turn with its own sequence, in order', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => publisher.publish(`pub.many.${i}`, `{"n":${i}}`, { lastSubjectSequence: 0 })));
    const seqs = answers.map((a) => ('seq' in a ? a.seq : -1));
    expect(seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1)).toBe(true);
    expect(answers.every((a) => 'duplicate' in a && !a.duplicate)).toBe(true);
  });

  it('keeps the expected-sequence check per subject: a stale expectation gets the stream error, a fresh one lands', async () => {
    const first = await publisher.publish('pub.cas', '{}', { lastSubjectSequence: 0 });
    const [stale, fresh] = await Promise.all([
      publisher.publish('pub.cas', '{}', { lastSubjectSequence: 0 }),
      publisher.publish('pub.other', '{}', { lastSubjectSequence: 0 }),
    ]);
    expect(stale).toMatchObject({ error: { errCode: 10071 } });
    expect(fresh).toHaveProperty('seq');
    expect(await publisher.publish('pub.cas', '{}', { lastSubjectSequence: 'seq' in first ? first.seq : 0 })).toHaveProperty('seq');
  });

  it('answers a repeated message id with the original sequence, marked duplicate', async () => {
    const original = await publisher.publish('pub.dedup', '{}', { lastSubjectSequence: 0, msgId: 'once' });
    const again = await publisher.publish('pub.dedup.other', '{}', { lastSubjectSequence: 0, msgId: 'once' });
    expect(again).toEqual({ seq: 'seq' in original ? original.seq : -1, duplicate: true });
  });

  it('fails a publish no stream takes', async () => {
    await expect(publisher.publish('nostream.x', '{}', { lastSubjectSequence: 0 })).rejects.toThrow(/no responders/);
  });

  it('fails a publish whose acknowledgement does not come within the timeout', async () => {
    nc.subscribe('silent.>', { callback: () => {} });
    await nc.flush();
    const quick = new JetStreamPublisher(nc, 300);
    try {
      await expect(quick.publish('silent.x', '{}', { lastSubjectSequence: 0 })).rejects.toThrow(/no acknowledgement within 300 ms/);
    } finally {
      quick.close();
    }
  });

  it('fails what waits for an acknowledgement as soon as the connection drops, and publishes again once it is back', async () => {
    nc.subscribe('mute.>', { callback: () => {} });
    await nc.flush();
    const patient = new JetStreamPublisher(nc, 60_000);
    try {
      const waiting = patient.publish('mute.x', '{}', { lastSubjectSequence: 0 });
      await new Promise((r) => setTimeout(r, 50));
      const restarted = nats.restart();
      await expect(waiting).rejects.toThrow(/connection dropped/);
      await restarted;
      // A publish sent while the server loads its streams gets no answer: each try waits 1 s at most.
      const again = new JetStreamPublisher(nc, 1_000);
      await expect.poll(() => again.publish('pub.after', '{}', { lastSubjectSequence: 0 }).catch(() => null), { timeout: 20_000, interval: 200 }).toHaveProperty('seq');
      again.close();
    } finally {
      patient.close();
    }
  });
});
