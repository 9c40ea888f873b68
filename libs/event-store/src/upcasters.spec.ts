import { afterEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@memsidecar/core';
import { PLAIN_CODEC } from './stored-event-codec';
import { installUpcasters, upcast, upcasterRegistry, type Upcasters } from './upcasters';

const encoded = (type: string, v: number, data: unknown): Uint8Array => {
  const envelope: EventEnvelope = { id: 'e1', type, v, at: '2026-01-01T00:00:00.000Z', tenant: 't', agent: 'a', block: 'kv', ns: 'n', entity: 'k', data };
  return new TextEncoder().encode(JSON.stringify(envelope));
};

/** v1 held the value as `text`; v2 as `value`; v3 adds `lang`. */
const valueSet: Upcasters = {
  'kv.value_set': {
    1: (data) => {
      const { text, ...rest } = data as { text: string };
      return { v: 2, data: { ...rest, value: text } };
    },
    2: (data) => ({ v: 3, data: { ...(data as object), lang: 'en' } }),
  },
};

describe('event store - upcasters on decode', () => {
  afterEach(() => installUpcasters());

  it('without upcasters, events decode as stored', async () => {
    const e = await PLAIN_CODEC.decode(encoded('kv.value_set', 1, { text: 'hi' }), 7);
    expect(e).toMatchObject({ seq: 7, type: 'kv.value_set', v: 1, data: { text: 'hi' } });
  });

  it('turns a v1 event into the current version when it is decoded from the log, one version at a time', async () => {
    installUpcasters(valueSet);
    expect(await PLAIN_CODEC.decode(encoded('kv.value_set', 1, { text: 'hi', version: 4 }), 7)).toMatchObject({
      seq: 7, type: 'kv.value_set', v: 3, data: { value: 'hi', version: 4, lang: 'en' },
    });
    expect(await PLAIN_CODEC.decode(encoded('kv.value_set', 2, { value: 'hi' }), 8)).toMatchObject({ v: 3, data: { value: 'hi', lang: 'en' } });
  });

  it('leaves the current version, and types nobody upcasts, alone', async () => {
    installUpcasters(valueSet);
    expect(await PLAIN_CODEC.decode(encoded('kv.value_set', 3, { value: 'hi', lang: 'fr' }), 9)).toMatchObject({ v: 3, data: { value: 'hi', lang: 'fr' } });
    expect(await PLAIN_CODEC.decode(encoded('kv.value_deleted', 1, { version: 2 }), 10)).toMatchObject({ type: 'kv.value_deleted', v: 1, data: { version: 2 } });
    expect(await PLAIN_CODEC.decode(encoded('constructor', 1, {}), 11)).toMatchObject({ type: 'constructor', v: 1 });
  });

  it('merges the blocks declarations, and refuses two upcasters for one type and version', () => {
    const deleted: Upcasters = { 'kv.value_deleted': { 1: (data) => ({ v: 2, data: { ...(data as object), reason: null } }) } };
    const registry = upcasterRegistry(valueSet, deleted);
    expect(upcast({ type: 'kv.value_deleted', v: 1, data: { version: 2 } }, registry)).toEqual({ type: 'kv.value_deleted', v: 2, data: { version: 2, reason: null } });
    expect(() => upcasterRegistry(valueSet, { 'kv.value_set': { 2: (data) => ({ v: 3, data }) } })).toThrow(/two upcasters for kv.value_set version 2/);
  });

  it('refuses an upcaster that does not raise the version, which would never end', () => {
    const stuck = upcasterRegistry({ 'kv.value_set': { 1: (data) => ({ v: 1, data }) } });
    expect(() => upcast({ type: 'kv.value_set', v: 1, data: {} }, stuck)).toThrow(/returned version 1/);
  });
});
