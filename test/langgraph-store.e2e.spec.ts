import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embeddings } from '@langchain/core/embeddings';
import { InMemoryStore, InvalidNamespaceError, type BaseStore, type Item, type SearchItem } from '@langchain/langgraph-checkpoint';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarStore } from '@memsidecar/langgraph';
import { serviceFixture } from './support/fixture';

/**
 * The behaviour LangGraph's stores share, as cases that run on any `BaseStore` and return plain
 * data: the spec runs each on LangGraph's InMemoryStore and on MemsidecarStore and expects the
 * same output. Scores are left out of the output (`scored` says whether there is one) and compared
 * on their own, within float tolerance; results whose order no store promises (a search without
 * `query` over several namespaces) are sorted first.
 */
interface StoreCase {
  name: string;
  /** Whether the store is made with a semantic index over `fields`. */
  index?: { fields?: string[] };
  run(store: BaseStore): Promise<unknown>;
}

/** Words hashed into a few buckets: texts that share words point the same way. Deterministic, shared by both stores. */
class WordEmbeddings extends Embeddings {
  constructor(readonly dims = 32) {
    super({});
  }
  embedDocuments(texts: string[]): Promise<number[][]> {
    return Promise.resolve(texts.map((t) => this.vector(t)));
  }
  embedQuery(text: string): Promise<number[]> {
    return Promise.resolve(this.vector(text));
  }
  private vector(text: string): number[] {
    const v = new Array<number>(this.dims).fill(0);
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      let h = 2166136261;
      for (const ch of word) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
      v[h % this.dims] += 1;
    }
    v[this.dims - 1] += 0.01; // never the zero vector
    return v;
  }
}

interface Shown {
  namespace: string[];
  key: string;
  value: Record<string, unknown>;
  scored: boolean;
}

/** Scores found on the way, in output order, for the tolerance check. */
type ScoreLog = number[];

const show = (items: SearchItem[], scores?: ScoreLog): Shown[] =>
  items.map((i) => {
    if (scores && i.score !== undefined && i.score !== null) scores.push(i.score);
    return { namespace: i.namespace, key: i.key, value: i.value, scored: i.score !== undefined && i.score !== null };
  });

const sorted = (items: Shown[]): Shown[] => [...items].sort((a, b) => `${a.namespace.join('/')}|${a.key}`.localeCompare(`${b.namespace.join('/')}|${b.key}`));
const keysOf = (items: SearchItem[]) => items.map((i) => `${i.namespace.join('/')}|${i.key}`).sort();
const rejects = (call: () => Promise<unknown>) => call().then(() => 'accepted', (e: Error) => `rejected: ${e.name}`);

const storeCases = (scores: ScoreLog): StoreCase[] => [
  {
    name: 'put then get returns the value; a missing key is null',
    async run(store) {
      await store.put(['users', 'u1'], 'prefs', { theme: 'dark', size: 3 });
      const item = await store.get(['users', 'u1'], 'prefs');
      return { item: item && { namespace: item.namespace, key: item.key, value: item.value, dated: item.createdAt <= item.updatedAt }, missing: await store.get(['users', 'u1'], 'nope'), otherNs: await store.get(['users', 'u2'], 'prefs') };
    },
  },
  {
    name: 'an overwrite keeps createdAt and moves updatedAt; delete removes the item',
    async run(store) {
      await store.put(['docs'], 'a', { v: 1 });
      const first = await store.get(['docs'], 'a');
      await store.put(['docs'], 'a', { v: 2 });
      const second = await store.get(['docs'], 'a');
      await store.delete(['docs'], 'a');
      await store.delete(['docs'], 'never-there');
      return {
        value: second?.value,
        sameCreated: first?.createdAt.getTime() === second?.createdAt.getTime(),
        moved: (second?.updatedAt.getTime() ?? 0) >= (first?.updatedAt.getTime() ?? 0),
        afterDelete: await store.get(['docs'], 'a'),
        searched: show(await store.search(['docs'])),
      };
    },
  },
  {
    name: 'a namespace prefix matches whole labels: ["a","b"] never reaches ["a","bc"]',
    async run(store) {
      await store.put(['a', 'b'], 'k1', { n: 1 });
      await store.put(['a', 'bc'], 'k2', { n: 2 });
      await store.put(['a', 'b', 'c'], 'k3', { n: 3 });
      await store.put(['ab'], 'k4', { n: 4 });
      await store.put(['a'], 'k5', { n: 5 });
      return {
        ab: keysOf(await store.search(['a', 'b'])),
        a: keysOf(await store.search(['a'])),
        abc: keysOf(await store.search(['a', 'b', 'c'])),
        all: keysOf(await store.search([], { limit: 100 })),
        getAcross: await store.get(['a', 'bc'], 'k1'),
      };
    },
  },
  {
    name: 'filters: exact values and $eq $ne $gt $gte $lt $lte $in $nin, combined with AND',
    async run(store) {
      const rows = [
        { key: 'p1', value: { color: 'red', price: 5, tags: ['x'] } },
        { key: 'p2', value: { color: 'blue', price: 10 } },
        { key: 'p3', value: { color: 'red', price: 15, active: true } },
        { key: 'p4', value: { color: 'green', price: 20, active: false } },
      ];
      for (const r of rows) await store.put(['shop'], r.key, r.value);
      const keys = async (filter: Record<string, unknown>) => (await store.search(['shop'], { filter })).map((i) => i.key).sort();
      return {
        exact: await keys({ color: 'red' }),
        eq: await keys({ price: { $eq: 10 } }),
        ne: await keys({ color: { $ne: 'red' } }),
        gt: await keys({ price: { $gt: 10 } }),
        gte: await keys({ price: { $gte: 10 } }),
        lt: await keys({ price: { $lt: 10 } }),
        lte: await keys({ price: { $lte: 10 } }),
        range: await keys({ price: { $gt: 5, $lte: 15 } }),
        and: await keys({ color: 'red', price: { $gte: 10 } }),
        in: await keys({ color: { $in: ['blue', 'green'] } }),
        nin: await keys({ color: { $nin: ['blue', 'green'] } }),
        bool: await keys({ active: true }),
        absentField: await keys({ missing: 'x' }),
      };
    },
  },
  {
    name: 'offset and limit page through one namespace in order',
    async run(store) {
      for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) await store.put(['pages'], k, { k });
      const page = async (offset: number, limit: number) => (await store.search(['pages'], { offset, limit })).map((i) => i.key);
      return { first: await page(0, 2), second: await page(2, 2), last: await page(4, 2), past: await page(9, 2), defaultLimit: (await store.search(['pages'])).length };
    },
  },
  {
    name: 'listNamespaces: prefix, suffix, wildcards, maxDepth, limit and offset',
    async run(store) {
      for (const ns of [['a', 'b', 'c'], ['a', 'b', 'd'], ['a', 'bc'], ['x', 'b', 'c'], ['a']]) await store.put(ns, 'k', { ns: ns.join('/') });
      return {
        all: await store.listNamespaces(),
        prefixA: await store.listNamespaces({ prefix: ['a'] }),
        prefixAB: await store.listNamespaces({ prefix: ['a', 'b'] }),
        suffixC: await store.listNamespaces({ suffix: ['c'] }),
        wildcard: await store.listNamespaces({ prefix: ['*', 'b'] }),
        depth1: await store.listNamespaces({ maxDepth: 1 }),
        depth2: await store.listNamespaces({ prefix: ['a'], maxDepth: 2 }),
        paged: await store.listNamespaces({ limit: 2, offset: 1 }),
      };
    },
  },
  {
    name: 'batch: reads see the state before the batch, the last put of a key wins',
    async run(store) {
      await store.put(['b'], 'x', { v: 0 });
      const results: unknown[] = await store.batch([
        { namespace: ['b'], key: 'y' },
        { namespace: ['b'], key: 'x', value: { v: 1 } },
        { namespace: ['b'], key: 'x', value: { v: 2 } },
        { namespace: ['b'], key: 'y', value: { v: 'new' } },
        { namespacePrefix: ['b'], limit: 10, offset: 0 },
      ]);
      const before = results[0] as Item | null;
      return { before, yAfter: (await store.get(['b'], 'y'))?.value ?? null, listed: show(results[4] as SearchItem[]), after: (await store.get(['b'], 'x'))?.value };
    },
  },
  {
    name: 'invalid namespaces and keys are refused by both',
    async run(store) {
      return {
        period: await rejects(() => store.put(['a.b'], 'k', { v: 1 })),
        colon: await rejects(() => store.put(['a:b'], 'k', { v: 1 })),
        empty: await rejects(() => store.put([], 'k', { v: 1 })),
        emptyLabel: await rejects(() => store.put(['a', ''], 'k', { v: 1 })),
        reserved: await rejects(() => store.put(['langgraph'], 'k', { v: 1 })),
      };
    },
  },
  {
    name: 'query ranks by similarity of the indexed fields, under the prefix only',
    index: { fields: ['text'] },
    async run(store) {
      await store.put(['mem', 'u1'], 'food', { text: 'likes pizza and pasta for dinner' });
      await store.put(['mem', 'u1'], 'pet', { text: 'has a cat called Tom' });
      await store.put(['mem', 'u1'], 'job', { text: 'works as a nurse at night' });
      await store.put(['mem', 'u1x'], 'food', { text: 'likes pizza pizza pizza' });
      await store.put(['mem', 'u1'], 'plain', { text: 'dinner with pizza friends' }, false);
      return {
        pizza: show(await store.search(['mem', 'u1'], { query: 'pizza for dinner', limit: 3 }), scores),
        cat: show(await store.search(['mem', 'u1'], { query: 'cat', limit: 1 }), scores),
        withFilter: show(await store.search(['mem'], { query: 'pizza', filter: { text: 'has a cat called Tom' } }), scores),
        unscoredLast: show(await store.search(['mem', 'u1'], { query: 'nurse', limit: 10 }), scores),
      };
    },
  },
  {
    name: 'offset and limit page through ranked results',
    index: { fields: ['text'] },
    async run(store) {
      const words = ['note', 'red', 'blue', 'green', 'gold', 'pink'];
      for (let n = 1; n <= words.length; n++) await store.put(['ranked'], `w${n}`, { text: words.slice(0, n).join(' ') });
      const page = async (offset: number, limit: number) => show(await store.search(['ranked'], { query: 'note', offset, limit }), scores).map((i) => i.key);
      return { first: await page(0, 2), second: await page(2, 2), third: await page(4, 2), past: await page(6, 2) };
    },
  },
  {
    name: 'per-put index fields: each path and every element of a list is embedded',
    index: { fields: ['text'] },
    async run(store) {
      await store.put(['notes'], 'n1', { title: 'gardening tips', text: 'unrelated words' }, ['title']);
      await store.put(['notes'], 'n2', { text: 'cooking rice', chapters: ['boats and sails', 'fishing nets'] }, ['chapters[*]']);
      await store.put(['notes'], 'n3', { text: 'gardening roses' });
      return {
        garden: show(await store.search(['notes'], { query: 'gardening', limit: 2 }), scores).map((s) => s.key).sort(),
        fishing: show(await store.search(['notes'], { query: 'fishing nets', limit: 1 }), scores),
        titleOnly: show(await store.search(['notes'], { query: 'tips', limit: 1 }), scores),
      };
    },
  },
  {
    name: 'query without a sorted order over several namespaces: the same items',
    index: { fields: ['text'] },
    async run(store) {
      await store.put(['s', 'a'], '1', { text: 'alpha' });
      await store.put(['s', 'b'], '2', { text: 'beta' });
      return { noQuery: sorted(show(await store.search(['s']))) };
    },
  },
];

const quiet = { warn: () => undefined };
let unique = 0;
const freshNs = (label: string) => `lgs-${label}-${process.pid}-${++unique}`;

describe('langgraph store', () => {
  // One service for both groups: the cases use namespaces of their own.
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  let client: MemoryClient;
  beforeAll(async () => {
    client = await MemoryClient.connect({ natsUrl: f.nats.url, token: f.service.adminToken(), logger: quiet });
  });
  afterAll(async () => {
    await client?.shutdown();
  });

  describe('the same cases on InMemoryStore and MemsidecarStore', () => {
    const embeddings = new WordEmbeddings(64);
    const memory = (c: StoreCase): BaseStore => new InMemoryStore(c.index ? { index: { dims: embeddings.dims, embeddings, fields: c.index.fields } } : undefined);
    const ours = (c: StoreCase): BaseStore => new MemsidecarStore({ client, ns: freshNs('case'), ...(c.index ? { index: { embeddings, fields: c.index.fields } } : {}) });

    const referenceScores: ScoreLog = [];
    const ourScores: ScoreLog = [];
    const reference = storeCases(referenceScores);
    const mine = storeCases(ourScores);
    it.each(reference.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
      const before = [referenceScores.length, ourScores.length];
      const expected = await reference[i].run(memory(reference[i]));
      const actual = await mine[i].run(ours(mine[i]));
      expect(actual).toEqual(expected);
      const theirs = referenceScores.slice(before[0]);
      const found = ourScores.slice(before[1]);
      expect(found.length).toBe(theirs.length);
      found.forEach((score, j) => expect(score).toBeCloseTo(theirs[j], 4));
    });
  });

  describe('memsidecar specifics', () => {
    const rawExpiry = async (store: MemsidecarStore, kvKey: string): Promise<string | null> => {
      const entry = await client.kv.get({ ns: store.ns, key: kvKey });
      if (!entry.found) throw new Error(`${kvKey} is not stored`);
      return entry.expiresAt;
    };

    it('items are kv keys of their labels and key, and a prefix scan cannot reach a sibling label', async () => {
      const store = new MemsidecarStore({ client, ns: freshNs('keys') });
      await store.put(['a', 'b'], 'x.y:z', { n: 1 });
      await store.put(['a', 'bc'], 'x', { n: 2 });
      const { items } = await client.kv.list({ ns: store.ns, prefix: '' });
      expect(items.map((i) => i.key).sort()).toEqual(['a.b.:x.y:z', 'a.bc.:x']);
      expect((await store.get(['a', 'b'], 'x.y:z'))?.value).toEqual({ n: 1 });
      expect((await store.search(['a', 'b'])).map((i) => i.key)).toEqual(['x.y:z']);
    });

    it('query with the semantic namespace embedder (no embeddings given): the closest item first, prefixes isolated', async () => {
      const store = new MemsidecarStore({ client, ns: freshNs('service-embedder'), index: { fields: ['text'] } });
      await store.put(['user', 'ann'], 'pet', { text: 'Ann has a grey cat named Pixel' });
      await store.put(['user', 'ann'], 'food', { text: 'Ann is vegetarian and loves lentil soup' });
      await store.put(['user', 'anne'], 'pet', { text: 'Anne has a grey cat named Pixel too' });
      const hits = await store.search(['user', 'ann'], { query: 'what is the name of the cat', limit: 5 });
      expect(hits[0]).toMatchObject({ namespace: ['user', 'ann'], key: 'pet' });
      expect(hits.every((h) => h.namespace[1] === 'ann')).toBe(true);
      expect(hits.map((h) => h.key).sort()).toEqual(['food', 'pet']);
      expect(typeof hits[0].score).toBe('number');
    });

    it('rewriting an item replaces its index: a query never returns a value that is no longer stored', async () => {
      const embeddings = new WordEmbeddings(64);
      const store = new MemsidecarStore({ client, ns: freshNs('rewrite'), index: { embeddings, fields: ['text'] } });
      await Promise.all(Array.from({ length: 8 }, (_, i) => store.put(['r'], 'same', { text: `version ${i} of the note`, i })));
      const stored = await store.get(['r'], 'same');
      const hits = await store.search(['r'], { query: 'version of the note', limit: 10 });
      expect(hits.map((h) => h.value)).toEqual([stored?.value]);
      await store.put(['r'], 'same', { text: 'now about sailing boats' });
      expect((await store.search(['r'], { query: 'sailing boats' })).map((h) => h.value)).toEqual([{ text: 'now about sailing boats' }]);
      await store.delete(['r'], 'same');
      expect(await store.search(['r'], { query: 'sailing boats' })).toEqual([]);
    });

    it('ttl: a put sets the expiry, a read renews it, refreshOnRead false leaves it, and an expired item is gone', async () => {
      const store = new MemsidecarStore({ client, ns: freshNs('ttl'), ttl: { defaultTtl: 10 } });
      await store.put(['t'], 'a', { v: 1 });
      const first = await rawExpiry(store, 't.:a');
      expect(first).not.toBeNull();
      const item = await store.get(['t'], 'a');
      const renewed = await rawExpiry(store, 't.:a');
      expect(Date.parse(renewed as string)).toBeGreaterThan(Date.parse(first as string));
      expect((await store.get(['t'], 'a'))?.updatedAt).toEqual(item?.updatedAt);
      await store.search(['t']);
      expect(Date.parse((await rawExpiry(store, 't.:a')) as string)).toBeGreaterThan(Date.parse(renewed as string));

      const still = new MemsidecarStore({ client, ns: store.ns, ttl: { defaultTtl: 10, refreshOnRead: false } });
      const before = await rawExpiry(still, 't.:a');
      await still.get(['t'], 'a');
      await still.search(['t']);
      expect(await rawExpiry(still, 't.:a')).toBe(before);
      await still.search(['t'], { refreshTtl: true });
      expect(Date.parse((await rawExpiry(still, 't.:a')) as string)).toBeGreaterThan(Date.parse(before as string));

      await store.put(['t'], 'short', { v: 2 }, undefined, { ttl: 0.005 });
      await store.put(['t'], 'forever', { v: 3 }, undefined, {});
      const expiresAt = Date.parse((await rawExpiry(store, 't.:short')) as string);
      while (Date.now() <= expiresAt) await new Promise((r) => setTimeout(r, Math.max(10, expiresAt - Date.now() + 10)));
      expect(await store.get(['t'], 'short')).toBeNull();
      expect((await store.search(['t'])).map((i) => i.key).sort()).toEqual(['a', 'forever']);
    });

    it('bad input is a clear error', async () => {
      const store = new MemsidecarStore({ client, ns: freshNs('bad') });
      await expect(store.search(['x'], { filter: { n: { $regex: 'a' } } })).rejects.toThrow(/Unknown filter operator '\$regex'/);
      await expect(store.put(['x'], 'k', { v: 1 }, undefined, { ttl: -1 })).rejects.toThrow(/ttl must be a positive number of minutes/);
      await expect(store.put(['x'], 'k'.repeat(600), { v: 1 })).rejects.toThrow(/bytes/);
      await expect(store.batch([{ namespace: ['a.b'], key: 'k', value: { v: 1 } }])).rejects.toBeInstanceOf(InvalidNamespaceError);
      const mixed = store.batch([
        { namespace: ['ok'], key: 'k', value: { v: 1 } },
        { namespacePrefix: ['ok'], filter: { v: { $like: 1 } }, limit: 1, offset: 0 },
      ]);
      await expect(mixed).rejects.toThrow(/Unknown filter operator/);
      expect(await store.get(['ok'], 'k')).toBeNull();
      expect(() => new MemsidecarStore({ client, ttl: { defaultTtl: 0 } })).toThrow(/ttl.defaultTtl/);
    });
  });
});
