import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryChatMessageHistory } from '@langchain/core/chat_history';
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, mapChatMessagesToStoredMessages, type BaseMessage } from '@langchain/core/messages';
import { InMemoryStore } from '@langchain/core/stores';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarChatMessageHistory, MemsidecarKeyValueStore } from '@memsidecar/langchain';
import { serviceFixture } from './support/fixture';

const quiet = { warn: () => undefined };
let unique = 0;
const fresh = (label: string) => `lc-${label}-${process.pid}-${++unique}`;
const stored = (messages: BaseMessage[]) => mapChatMessagesToStoredMessages(messages);

const conversation = (): BaseMessage[] => [
  new SystemMessage('You are terse.'),
  new HumanMessage('What is the weather in Lyon?'),
  new AIMessage({ content: '', tool_calls: [{ id: 'call-1', name: 'weather', args: { city: 'Lyon' } }] }),
  new ToolMessage({ content: '{"c": 21}', tool_call_id: 'call-1' }),
  new AIMessage('21 °C and sunny.'),
];

describe('langchain - chat history and key-value store on memsidecar', () => {
  const f = serviceFixture('postgres');
  let client: MemoryClient;
  const connect = () => MemoryClient.connect({ natsUrl: f.nats.url, token: f.service.adminToken(), logger: quiet });
  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await client?.shutdown();
  });

  describe('MemsidecarChatMessageHistory', () => {
    it('gives back what LangChain in-memory history gives back, message for message', async () => {
      const ns = fresh('history');
      const reference = new InMemoryChatMessageHistory();
      const history = new MemsidecarChatMessageHistory({ client, ns, sessionId: 's1' });
      for (const h of [reference, history]) {
        await h.addMessages(conversation());
        await h.addUserMessage('And tomorrow?');
        await h.addAIMessage('Rain.');
      }
      expect(stored(await history.getMessages())).toEqual(stored(await reference.getMessages()));
      const other = new MemsidecarChatMessageHistory({ client, ns, sessionId: 's1' });
      expect(stored(await other.getMessages())).toEqual(stored(await reference.getMessages()));
      expect((await other.getMessages())[2]).toBeInstanceOf(AIMessage);
    });

    it('sessions are separate, and clear() empties one session only; later messages are read again', async () => {
      const ns = fresh('clear');
      const a = new MemsidecarChatMessageHistory({ client, ns, sessionId: 'a' });
      const b = new MemsidecarChatMessageHistory({ client, ns, sessionId: 'b' });
      await a.addUserMessage('for a');
      await b.addUserMessage('for b');
      await a.clear();
      expect(await a.getMessages()).toEqual([]);
      expect((await b.getMessages()).map((m) => m.content)).toEqual(['for b']);
      await a.addAIMessage('after the clear');
      expect((await a.getMessages()).map((m) => m.content)).toEqual(['after the clear']);
    });

    it('many concurrent addMessage from several histories on one session: every message present, each once', async () => {
      const ns = fresh('concurrent');
      const clients = await Promise.all(Array.from({ length: 4 }, connect));
      try {
        const histories = clients.flatMap((c) => [0, 1].map(() => new MemsidecarChatMessageHistory({ client: c, ns, sessionId: 'shared' })));
        const perHistory = 25;
        await Promise.all(histories.flatMap((h, hi) => Array.from({ length: perHistory }, (_, i) => h.addMessage(new HumanMessage(`h${hi}-m${i}`)))));
        const contents = (await new MemsidecarChatMessageHistory({ client, ns, sessionId: 'shared' }).getMessages()).map((m) => m.content as string);
        const expected = histories.flatMap((_, hi) => Array.from({ length: perHistory }, (__, i) => `h${hi}-m${i}`));
        expect(contents).toHaveLength(expected.length);
        expect(new Set(contents).size).toBe(contents.length);
        expect([...contents].sort()).toEqual([...expected].sort());
      } finally {
        await Promise.all(clients.map((c) => c.shutdown()));
      }
    });
  });

  describe('MemsidecarKeyValueStore', () => {
    it('mget, mset and mdelete as LangChain InMemoryStore does, JSON and bytes alike', async () => {
      const reference = new InMemoryStore<unknown>();
      const store = new MemsidecarKeyValueStore<unknown>({ client, ns: fresh('kv') });
      const pairs: [string, unknown][] = [
        ['doc:1', { title: 'one', tags: ['a'] }],
        ['doc:2', 'plain text'],
        ['bytes:1', new Uint8Array([0, 1, 2, 250, 255])],
        ['n', 42],
      ];
      for (const s of [reference, store]) {
        await s.mset(pairs);
        await s.mdelete(['doc:2', 'never-set']);
      }
      const keys = ['doc:1', 'doc:2', 'bytes:1', 'n', 'missing', 'doc:1'];
      const ours = await store.mget(keys);
      expect(ours).toEqual(await reference.mget(keys));
      expect(ours[2]).toBeInstanceOf(Uint8Array);
    });

    it('yieldKeys lists every key under a prefix, across pages, and none outside it', async () => {
      const store = new MemsidecarKeyValueStore<number>({ client, ns: fresh('keys') });
      const reference = new InMemoryStore<number>();
      const pairs: [string, number][] = [...Array.from({ length: 1050 }, (_, i): [string, number] => [`p:${String(i).padStart(4, '0')}`, i]), ['q:1', 1], ['p', 0]];
      await store.mset(pairs);
      await reference.mset(pairs);
      const collect = async (it: AsyncGenerator<string>) => {
        const out: string[] = [];
        for await (const k of it) out.push(k);
        return out.sort();
      };
      const underP = await collect(store.yieldKeys('p:'));
      expect(underP).toHaveLength(1050);
      expect(underP).toEqual(await collect(reference.yieldKeys('p:')));
      expect(await collect(store.yieldKeys())).toEqual(await collect(reference.yieldKeys()));
    });
  });
});
