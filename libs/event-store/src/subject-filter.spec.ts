import { describe, expect, it } from 'vitest';
import { isLiteralSubject, subjectMatches } from './subject-filter';

describe('subject filters - NATS wildcard semantics', () => {
  it.each([
    ['mem.evt.kv.t.n.k', 'mem.evt.kv.t.n.k', true],
    ['mem.evt.kv.t.n.k', 'mem.evt.kv.t.n.other', false],
    ['mem.evt.>', 'mem.evt.kv.t.n.k', true],
    ['mem.evt.>', 'mem.evt.kv', true],
    ['mem.evt.>', 'mem.evt', false],
    ['mem.evt.kv.>', 'mem.evt.kvx.t.n.k', false],
    ['mem.evt.*.t.n.k', 'mem.evt.lease.t.n.k', true],
    ['mem.evt.*.t.n.k', 'mem.evt.lease.t.n.k.more', false],
    ['mem.evt.*', 'mem.evt.kv.t', false],
    ['mem.*.kv.>', 'mem.evt.kv.a', true],
    ['*.*', 'a.b', true],
    ['*', 'a.b', false],
    ['mem.evt.kv', 'mem.evt.kv.t', false],
  ])('%s matches %s: %s', (filter, subject, expected) => {
    expect(subjectMatches(filter, subject)).toBe(expected);
  });

  it('tells a subject from a filter with wildcards', () => {
    expect(isLiteralSubject('mem.evt.kv.t.n.k')).toBe(true);
    expect(isLiteralSubject('mem.evt.kv.>')).toBe(false);
    expect(isLiteralSubject('mem.evt.*.t')).toBe(false);
    // Only a whole token is a wildcard.
    expect(isLiteralSubject('mem.evt.a*b')).toBe(true);
  });
});
