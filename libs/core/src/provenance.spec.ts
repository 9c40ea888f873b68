import { describe, expect, it } from 'vitest';
import { lowestTrust, provenanceOf } from './provenance';
import type { StoredEvent } from './envelope';

describe('provenance - trust labels', () => {
  it('the lowest of labels is the lowest label given', () => {
    expect(lowestTrust(['high', 'low', 'medium'])).toBe('low');
    expect(lowestTrust(['high', 'medium'])).toBe('medium');
    expect(lowestTrust(['high'])).toBe('high');
  });

  it('an unlabelled source ranks below low, so the lowest is unlabelled', () => {
    expect(lowestTrust(['high', undefined, 'low'])).toBeUndefined();
  });
});

describe('provenance - of an event', () => {
  const event = { id: 'e', type: 'kv.value_set', v: 1, at: '2025-01-01T00:00:00.000Z', tenant: 't', agent: 'a', block: 'kv', ns: 'n', entity: 'k', data: {}, seq: 7 } as StoredEvent;

  it('names the writer, the sequence and the time, leaving out what the event does not carry', () => {
    expect(provenanceOf(event)).toEqual({ agent: 'a', seq: 7, at: '2025-01-01T00:00:00.000Z' });
  });

  it('carries session, token, transport, trust and sources when the event does, never the tenant', () => {
    const full = { ...event, sessionId: 's', tokenId: 'tok', transport: 'grpc', trust: 'low', derivedFrom: [3, 4], requestId: 'r' } as StoredEvent;
    expect(provenanceOf(full)).toEqual({ agent: 'a', sessionId: 's', tokenId: 'tok', transport: 'grpc', seq: 7, at: '2025-01-01T00:00:00.000Z', trust: 'low', derivedFrom: [3, 4] });
  });
});
