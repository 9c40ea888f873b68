import { describe, expect, it } from 'vitest';
import { InvalidNamespaceError } from '@langchain/langgraph-checkpoint';
import { matchesFilter } from './store-filter';
import { assertNamespace, decodeItemKey, itemKey, namespacePrefix } from './store-keys';
import { textsToIndex } from './store-text';

describe('store keys - encoding', () => {
  const namespaces = [['a'], ['a', 'b'], ['a', 'bc'], ['a', 'b', 'c'], ['ab'], ['a b', 'é/ü'], ['x', '*']];
  const keys = ['k', 'k.with.dots', 'k:with:colons', 'a.b.:x', ' ', '日本'];

  it('decodes every key it encodes', () => {
    for (const ns of namespaces) for (const key of keys) expect(decodeItemKey(itemKey(ns, key))).toEqual({ namespace: ns, key });
  });

  it('a namespace prefix reaches exactly the namespaces that start with its whole labels', () => {
    for (const prefix of namespaces) {
      for (const ns of namespaces) {
        const under = prefix.length <= ns.length && prefix.every((label, i) => ns[i] === label);
        for (const key of keys) expect(itemKey(ns, key).startsWith(namespacePrefix(prefix))).toBe(under);
      }
    }
  });

  it('refuses labels LangGraph forbids, and keys that do not fit in kv', () => {
    for (const bad of [['a.b'], ['a:b'], ['a', ''], ['nul\0']]) expect(() => assertNamespace(bad, { allowEmpty: false })).toThrow(InvalidNamespaceError);
    expect(() => assertNamespace([], { allowEmpty: false })).toThrow(InvalidNamespaceError);
    expect(() => assertNamespace([], { allowEmpty: true })).not.toThrow();
    expect(() => itemKey(['a'], '')).toThrow(TypeError);
    expect(() => itemKey(['a'], 'x'.repeat(510))).toThrow(/bytes/);
    expect(itemKey(['a'], 'x'.repeat(509))).toHaveLength(512);
  });

  it('ignores kv keys it did not write', () => {
    expect(decodeItemKey('plain')).toBeNull();
    expect(decodeItemKey(':k')).toBeNull();
    expect(decodeItemKey('a:k')).toBeNull();
  });
});

describe('store filter and indexed texts', () => {
  it('exact matches compare JSON by content; operators compare as LangGraph does', () => {
    const v = { n: 5, s: 'x', o: { a: [1, 2] }, b: false };
    expect(matchesFilter(v, { o: { a: [1, 2] } })).toBe(true);
    expect(matchesFilter(v, { o: { a: [2, 1] } })).toBe(false);
    expect(matchesFilter(v, { n: { $gt: 4, $lte: 5 }, s: { $in: ['x', 'y'] }, b: false })).toBe(true);
    expect(matchesFilter(v, { n: { $ne: 5 } })).toBe(false);
    expect(matchesFilter(v, { missing: { $nin: ['a'] } })).toBe(true);
  });

  it('field paths pick texts; several texts from one path are numbered', () => {
    const value = { title: 'T', tags: ['a', 'b'], meta: { n: 3 }, items: [{ t: 'x' }, { t: 'y' }] };
    expect(textsToIndex(value, ['title', 'meta.n', 'tags[-1]'])).toEqual([
      { field: 'title', text: 'T' },
      { field: 'meta.n', text: '3' },
      { field: 'tags[-1]', text: 'b' },
    ]);
    expect(textsToIndex(value, ['items[*].t'])).toEqual([
      { field: 'items[*].t.0', text: 'x' },
      { field: 'items[*].t.1', text: 'y' },
    ]);
    expect(textsToIndex(value, ['{title,meta.n}']).map((t) => t.text)).toEqual(['T', '3']);
    expect(textsToIndex(value, ['$'])).toEqual([{ field: '$', text: JSON.stringify(value, null, 2) }]);
    expect(textsToIndex(value, ['absent'])).toEqual([]);
  });
});
