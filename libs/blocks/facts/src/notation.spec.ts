import { describe, expect, it } from 'vitest';
import { hasClosingSignal } from './closing-signals';
import { formatFact, parseFactLine } from './notation';

describe('facts - notation', () => {
  it.each([
    ['C[db.id]: UUID mndtry, nvr autoincrement', 'C', 'db.id', 'UUID mndtry, nvr autoincrement'],
    ['D[auth]: JWT 7j refresh 6j', 'D', 'auth', 'JWT 7j refresh 6j'],
    ['V[srv.prod]: api.example.com:3005', 'V', 'srv.prod', 'api.example.com:3005'],
    ['?[cache]: redis or in-process?', '?', 'cache', 'redis or in-process?'],
    ['✓[auth]: deployed prod', '✓', 'auth', 'deployed prod'],
    ['~[db.id]: autoincrement dropped', '~', 'db.id', 'autoincrement dropped'],
    ['  D[ spaced target ]:   trimmed  ', 'D', 'spaced target', 'trimmed'],
  ])('parses %s', (line, type, target, content) => {
    expect(parseFactLine(line)).toEqual({ type, target, content, truncated: false });
    expect(formatFact(parseFactLine(line))).toBe(`${type}[${target}]: ${content}`);
  });

  it.each(['c[db]: lower case type', '✔[auth]: wrong check mark', 'D[auth] missing colon', 'D[]: empty target', 'D[ ]: blank target', 'D[auth]:   ', 'D[auth]: two\nlines', 'plain text', 'X[a]: unknown type'])(
    'rejects %j with the expected form in the message',
    (line) => {
      expect(() => parseFactLine(line)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('T[target]: content') }));
    },
  );

  it('cuts over-long content to the limit and says so', () => {
    const parsed = parseFactLine(`V[blob]: ${'x'.repeat(500)}`);
    expect(parsed.truncated).toBe(true);
    expect([...parsed.content]).toHaveLength(400);
    expect(parsed.content.endsWith('…')).toBe(true);
    expect(parseFactLine(`V[blob]: ${'x'.repeat(400)}`).truncated).toBe(false);
  });
});

describe('facts - closing signals', () => {
  it.each(['the auth feature is merged and deployed', 'Shipped it!', 'it works now', 'phase 2 done', 'bug fixed, moving on', 'PR resolved'])('%j closes', (m) => {
    expect(hasClosingSignal(m)).toBe(true);
  });

  it.each(['not merged yet', "haven't deployed", 'not yet shipped', 'this is never finished', "it isn't fixed", 'done with lunch', 'we merge tomorrow'])('%j does not close', (m) => {
    expect(hasClosingSignal(m)).toBe(false);
  });
});
