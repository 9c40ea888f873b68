import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@memsidecar/core';
import { EventCodec } from '../stored-event-codec';
import { InMemorySubjectKeys } from './in-memory-subject-keys';
import { PayloadCipher } from './payload-cipher';

const envelope = (over: Partial<EventEnvelope> = {}): EventEnvelope =>
  ({ id: 'e1', type: 'kv.value_set', v: 1, at: '2026-01-01T00:00:00.000Z', tenant: 'acme', agent: 'a', block: 'kv', ns: 'notes', entity: 'k', data: { value: 'secret text', version: 1 }, ...over }) as EventEnvelope;
const bytes = (text: string) => new TextEncoder().encode(text);

describe('payload sealing - event payloads under their namespace key', () => {
  it('stores no payload in clear, keeps the envelope clear, and opens it back', async () => {
    const codec = new EventCodec(new PayloadCipher(new InMemorySubjectKeys()));
    const stored = await codec.encode(envelope());
    expect(stored).not.toContain('secret text');
    expect(JSON.parse(stored)).toMatchObject({ id: 'e1', type: 'kv.value_set', tenant: 'acme', ns: 'notes', entity: 'k', sealed: { key: expect.any(String) } });
    expect(JSON.parse(stored).data).toBeUndefined();
    expect(await codec.decode(bytes(stored), 7)).toEqual({ ...envelope(), seq: 7 });
  });

  it('reads events of a destroyed key as erased, and other namespaces as before', async () => {
    const keys = new InMemorySubjectKeys();
    const codec = new EventCodec(new PayloadCipher(keys));
    const gone = await codec.encode(envelope());
    const kept = await codec.encode(envelope({ ns: 'chat' }));
    await keys.destroy({ tenant: 'acme', ns: 'notes' });
    expect(await codec.decode(bytes(gone), 1)).toEqual({ ...envelope(), data: null, erased: true, seq: 1 });
    expect((await codec.decode(bytes(kept), 2)).data).toEqual(envelope().data);
  });

  it('refuses a payload moved to another event', async () => {
    const codec = new EventCodec(new PayloadCipher(new InMemorySubjectKeys()));
    const moved = { ...JSON.parse(await codec.encode(envelope())), entity: 'other-key' };
    await expect(codec.decode(bytes(JSON.stringify(moved)), 1)).rejects.toThrow();
  });

  it('leaves token records and erasure receipts clear, and writes clear with sealing off while still opening sealed events', async () => {
    const keys = new InMemorySubjectKeys();
    const sealing = new EventCodec(new PayloadCipher(keys));
    for (const block of ['auth', 'audit'] as const) expect(JSON.parse(await sealing.encode(envelope({ block }))).data).toEqual(envelope().data);
    const off = new EventCodec(new PayloadCipher(keys), false);
    expect(JSON.parse(await off.encode(envelope())).data).toEqual(envelope().data);
    expect((await off.decode(bytes(await sealing.encode(envelope())), 3)).data).toEqual(envelope().data);
  });

  it('without a key store, reads a sealed event as erased rather than misreading it', async () => {
    const sealed = await new EventCodec(new PayloadCipher(new InMemorySubjectKeys())).encode(envelope());
    expect(await new EventCodec().decode(bytes(sealed), 4)).toMatchObject({ erased: true, data: null });
  });
});
