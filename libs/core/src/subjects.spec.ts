import { describe, expect, it } from 'vitest';
import { aggregateSubject, decodeToken, encodeToken, isValidSubjectToken } from './subjects';

describe('subjects - key encoding', () => {
  const awkward = ['a.b', 'with space', '*', '>', 'a.*.>', '$SYS', 'ünïcødé', '日本語', '🙂', 'tab\there', '~', '~7E', 'a~b', '-_'];

  it('turns any key into one valid subject token', () => {
    for (const key of awkward) expect(isValidSubjectToken(encodeToken(key).replace(/~/g, '_'))).toBe(true);
    for (const key of awkward) expect(encodeToken(key)).toMatch(/^[A-Za-z0-9_~-]+$/);
  });

  it('is reversible and never maps two keys to one token', () => {
    const tokens = new Set(awkward.map(encodeToken));
    expect(tokens.size).toBe(awkward.length);
    for (const key of awkward) expect(decodeToken(encodeToken(key))).toBe(key);
  });

  it('handles a 512-byte key', () => {
    const key = 'é'.repeat(256);
    expect(Buffer.byteLength(key)).toBe(512);
    const subject = aggregateSubject('mem', { block: 'kv', tenant: 't', ns: 'n.s', entity: key });
    expect(subject.split('.')).toHaveLength(6);
    expect(decodeToken(subject.split('.')[5])).toBe(key);
  });
});
