import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '@memsidecar/core';
import { decodeStoredEvent, envelopeText } from './event-store';

const appended = '{"id":"e-1","type":"kv.value_set","v":1,"at":"2026-01-01T00:00:00.000Z","tenant":"acme","agent":"bot","block":"kv","ns":"n","entity":"k","data":{"text":"é \\u2028 \\"q\\"","n":1.5}}';

describe('envelopeText', () => {
  it('gives an event read from the log back as the very text it was appended as', () => {
    const event = decodeStoredEvent(new TextEncoder().encode(appended), 42);
    expect(event.seq).toBe(42);
    expect(envelopeText(event)).toBe(appended);
  });

  it('encodes an event that was not read from the log, leaving out its sequence', () => {
    const event = { ...(JSON.parse(appended) as StoredEvent), seq: 7 };
    expect(JSON.parse(envelopeText(event))).toEqual(JSON.parse(appended));
    expect(envelopeText(event)).not.toContain('"seq"');
  });
});
