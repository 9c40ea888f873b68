import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertToModelMessages, generateText, simulateReadableStream, stepCountIs, streamText, validateUIMessages, type UIMessage } from 'ai';
import { MockLanguageModelV3, convertReadableStreamToArray } from 'ai/test';
import { MemoryClient, type KvClient } from '@memsidecar/client';
import { ChatStoreError, MemoryChatStore, memoryTools, type RecallOutput, type RememberOutput, type SaveChatResult } from '@memsidecar/ai-sdk';
import { serviceFixture } from './support/fixture';

// The provider types, as the mock model has them (the provider package is the SDK's, not ours).
type LanguageModelV3GenerateResult = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>;
type LanguageModelV3Content = LanguageModelV3GenerateResult['content'][number];
type LanguageModelV3StreamPart = Awaited<ReturnType<MockLanguageModelV3['doStream']>>['stream'] extends ReadableStream<infer Part> ? Part : never;

const quiet = { warn: () => undefined };
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 1, text: 1, reasoning: undefined } };

const text = (id: string, role: UIMessage['role'], body: string): UIMessage => ({ id, role, parts: [{ type: 'text', text: body }] });

/** One model step: the given content, finishing as a tool call when it holds one. */
const step = (...content: LanguageModelV3Content[]): LanguageModelV3GenerateResult => ({
  content,
  finishReason: { unified: content.some((c) => c.type === 'tool-call') ? 'tool-calls' : 'stop', raw: undefined },
  usage,
  warnings: [],
});
const toolCall = (toolCallId: string, toolName: string, input: unknown): LanguageModelV3Content => ({ type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) });

/** What a call was refused with by the chat store. */
async function chatRefusal(call: Promise<unknown>): Promise<ChatStoreError> {
  const error = await call.then(
    (value) => new Error(`expected a refusal, got ${JSON.stringify(value)}`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChatStoreError);
  return error as ChatStoreError;
}

/** `client` whose next kv.put first lets `writer` run: another writer gets in between a save's read and its write. */
function withWriterBeforeNextPut(client: MemoryClient, writer: () => Promise<unknown>): MemoryClient {
  let pending: (() => Promise<unknown>) | undefined = writer;
  const kv: KvClient = {
    ...client.kv,
    put: async (input, options) => {
      const run = pending;
      pending = undefined;
      if (run) await run();
      return client.kv.put(input, options);
    },
  };
  return Object.defineProperty(Object.create(client) as MemoryClient, 'kv', { value: kv });
}

describe('ai-sdk - chat store and memory tools against the service', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  const clients: MemoryClient[] = [];
  const connect = async () => {
    const client = await MemoryClient.connect({ natsUrl: f.nats.url, token: f.service.adminToken(), logger: quiet });
    clients.push(client);
    return client;
  };
  let client: MemoryClient;

  beforeAll(async () => {
    client = await connect();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.shutdown()));
  });

  describe('chat store', () => {
    it('createChat, saveChat and loadChat round-trip UIMessages; unknown and taken ids are refused', async () => {
      const store = new MemoryChatStore(client, { ns: 'chats' });
      const chatId = await store.createChat();
      expect(await store.loadChat(chatId)).toEqual([]);
      expect((await chatRefusal(store.createChat(chatId))).reason).toBe('EXISTS');
      expect((await chatRefusal(store.loadChat('never-saved'))).reason).toBe('NOT_FOUND');

      const messages: UIMessage[] = [
        text('u1', 'user', 'What is the weather in Paris?'),
        {
          id: 'a1',
          role: 'assistant',
          metadata: { model: 'mock' },
          parts: [
            { type: 'step-start' },
            { type: 'tool-weather', toolCallId: 'c1', state: 'output-available', input: { city: 'Paris' }, output: { celsius: 21 } },
            { type: 'text', text: 'It is 21 °C in Paris.', state: 'done' },
          ],
        },
      ];
      const saved = await store.saveChat({ chatId, messages });
      expect(saved).toEqual({ version: 2, attempts: 1, messages: 2 });
      expect(await new MemoryChatStore(await connect(), { ns: 'chats' }).loadChat(chatId)).toEqual(messages);

      // Saving the same messages again appends nothing new; an edited message takes its new version.
      const edited = [messages[0], { ...messages[1], parts: [...messages[1].parts, { type: 'text' as const, text: 'Anything else?' }] }];
      const editedSave = await store.saveChat({ chatId, messages: edited });
      expect(await store.loadChat(chatId)).toEqual(edited);
      expect(await store.saveChat({ chatId, messages: await store.loadChat(chatId) })).toEqual({ ...editedSave, attempts: 1 });
      const events = await client.episodic.range({ ns: 'chats', sessionId: chatId });
      expect(events.events.map((e) => (e.payload as UIMessage).id)).toEqual(['u1', 'a1', 'a1']);
    });

    it('bad input is refused with a clear error', async () => {
      const store = new MemoryChatStore(client, { ns: 'chats' });
      expect(await chatRefusal(store.saveChat({ chatId: '', messages: [] }))).toMatchObject({ reason: 'INVALID', message: expect.stringContaining('chat id') });
      expect(await chatRefusal(store.saveChat({ chatId: 'c', messages: [text('x', 'user', 'a'), text('x', 'user', 'b')] }))).toMatchObject({
        reason: 'INVALID',
        message: expect.stringContaining('message id x appears twice'),
      });
      expect(await chatRefusal(store.saveChat({ chatId: 'c', messages: [{ role: 'user', parts: [] } as unknown as UIMessage] }))).toMatchObject({
        reason: 'INVALID',
        message: expect.stringContaining('messages[0] has no id'),
      });
      expect(() => new MemoryChatStore(client, { ns: 'chats', maxAttempts: 0 })).toThrow(/maxAttempts must be a positive integer/);
    });

    it('a save that loses the compare-and-set merges: the other writer message is kept, a message both edited is the last writer', async () => {
      const chatId = 'interleaved';
      const seed = [text('u1', 'user', 'hello'), text('a1', 'assistant', 'hi')];
      await new MemoryChatStore(client, { ns: 'chats' }).saveChat({ chatId, messages: seed });

      const other = new MemoryChatStore(await connect(), { ns: 'chats' });
      const otherSave = [seed[0], text('a1', 'assistant', 'hi (edited by the other writer)'), text('u2', 'user', 'from the other writer')];
      let otherResult: SaveChatResult | undefined;
      const client2 = await connect();
      const store = new MemoryChatStore(
        withWriterBeforeNextPut(client2, async () => (otherResult = await other.saveChat({ chatId, messages: otherSave }))),
        { ns: 'chats' },
      );
      const ours = [seed[0], text('a1', 'assistant', 'hi (edited by this writer)'), text('u3', 'user', 'from this writer')];

      const result = await store.saveChat({ chatId, messages: ours });
      expect(otherResult).toMatchObject({ attempts: 1 });
      expect(result).toEqual({ version: 3, attempts: 2, messages: 4 });
      expect(await store.loadChat(chatId)).toEqual([seed[0], ours[1], otherSave[2], ours[2]]);
    });

    it('10 concurrent saves from separate store instances, each adding its own message: none is lost', async () => {
      const chatId = 'crowded';
      const seed = text('seed', 'user', 'start');
      await new MemoryChatStore(client, { ns: 'chats' }).saveChat({ chatId, messages: [seed] });
      const writers = await Promise.all(Array.from({ length: 10 }, async () => new MemoryChatStore(await connect(), { ns: 'chats' })));
      const loaded = await Promise.all(writers.map((w) => w.loadChat(chatId)));

      const results = await Promise.all(writers.map((w, i) => w.saveChat({ chatId, messages: [...loaded[i], text(`w${i}`, 'assistant', `writer ${i}`)] })));

      const stored = await new MemoryChatStore(client, { ns: 'chats' }).loadChat(chatId);
      expect(stored[0]).toEqual(seed);
      expect(stored.map((m) => m.id).sort()).toEqual(['seed', ...writers.map((_, i) => `w${i}`)].sort());
      // Every save landed once: the versions 2..11, one each.
      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
      console.log(`10 concurrent saves: ${results.reduce((n, r) => n + r.attempts, 0)} compare-and-set rounds in all, at most ${Math.max(...results.map((r) => r.attempts))} for one save`);
    });

    it('a save that keeps losing past maxAttempts is refused with CONFLICT and stores nothing of itself', async () => {
      const chatId = 'contended';
      const other = new MemoryChatStore(client, { ns: 'chats' });
      await other.saveChat({ chatId, messages: [text('u1', 'user', 'one')] });
      const store = new MemoryChatStore(
        withWriterBeforeNextPut(await connect(), () => other.saveChat({ chatId, messages: [text('o1', 'user', 'other')] })),
        { ns: 'chats', maxAttempts: 1 },
      );
      const refused = await chatRefusal(store.saveChat({ chatId, messages: [text('mine', 'user', 'mine')] }));
      expect(refused).toMatchObject({ reason: 'CONFLICT', chatId });
      expect((await other.loadChat(chatId)).map((m) => m.id)).toEqual(['u1', 'o1']);
      // Trying again is safe.
      await store.saveChat({ chatId, messages: [text('mine', 'user', 'mine')] });
      expect((await other.loadChat(chatId)).map((m) => m.id)).toEqual(['u1', 'o1', 'mine']);
    });

    it('deleteMessages removes by id, a save never does', async () => {
      const store = new MemoryChatStore(client, { ns: 'chats' });
      const chatId = 'regenerated';
      await store.saveChat({ chatId, messages: [text('u1', 'user', 'q'), text('a1', 'assistant', 'first answer')] });
      await store.saveChat({ chatId, messages: [text('u1', 'user', 'q')] });
      expect((await store.loadChat(chatId)).map((m) => m.id)).toEqual(['u1', 'a1']);
      await store.deleteMessages(chatId, ['a1', 'unknown']);
      expect((await chatRefusal(store.deleteMessages('no-such-chat', ['a1']))).reason).toBe('NOT_FOUND');
      await store.saveChat({ chatId, messages: [text('u1', 'user', 'q'), text('a2', 'assistant', 'second answer')] });
      expect((await store.loadChat(chatId)).map((m) => m.id)).toEqual(['u1', 'a2']);
    });

    it('a chat far larger than one kv value is stored and loaded whole; what cannot fit is refused naming limits.maxValueBytes', async () => {
      const store = new MemoryChatStore(client, { ns: 'chats' });
      const chatId = 'long';
      const long = Array.from({ length: 40 }, (_, i) => text(`m${i}`, i % 2 ? 'assistant' : 'user', `${i} `.repeat(5000)));
      const bytes = Buffer.byteLength(JSON.stringify(long));
      expect(bytes).toBeGreaterThan(256 * 1024);
      await store.saveChat({ chatId, messages: long });
      expect(await store.loadChat(chatId)).toEqual(long);
      const index = await client.kv.get({ ns: 'chats', key: `chat/${chatId}` });
      const indexBytes = index.found ? Buffer.byteLength(JSON.stringify(index.value)) : 0;
      expect(indexBytes).toBeLessThan(bytes / 100);
      console.log(`a chat of ${long.length} messages, ${bytes} bytes: its kv index is ${indexBytes} bytes`);

      const huge = text('huge', 'user', 'x'.repeat(300 * 1024));
      expect(await chatRefusal(store.saveChat({ chatId, messages: [huge] }))).toMatchObject({ reason: 'TOO_LARGE', message: expect.stringMatching(/message huge is \d+ bytes, over limits.maxValueBytes \(262144\)/) });
      // A store that allows more than the service does still reports the service's limit clearly.
      const lax = new MemoryChatStore(client, { ns: 'chats', maxValueBytes: 1024 * 1024 });
      expect(await chatRefusal(lax.saveChat({ chatId, messages: [huge] }))).toMatchObject({ reason: 'TOO_LARGE', message: expect.stringContaining('limits.maxValueBytes') });

      const small = new MemoryChatStore(client, { ns: 'chats', maxValueBytes: 2048 });
      const many = Array.from({ length: 40 }, (_, i) => text(`s${i}`, 'user', 'short'));
      expect(await chatRefusal(small.saveChat({ chatId: 'many', messages: many }))).toMatchObject({ reason: 'TOO_LARGE', message: expect.stringContaining('the index of its 40 messages') });
      expect(await client.kv.get({ ns: 'chats', key: 'chat/many' })).toEqual({ found: false });
      expect(await store.loadChat(chatId)).toEqual(long);
    });

    it('persists what streamText produces, as the AI SDK persistence pattern does, and the SDK validates it loaded back', async () => {
      const store = new MemoryChatStore(client, { ns: 'chats' });
      const chatId = await store.createChat();
      const question = text('q1', 'user', 'Say hello');
      const chunks: LanguageModelV3StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'text-start', id: 't1' },
        { type: 'text-delta', id: 't1', delta: 'Hello' },
        { type: 'text-delta', id: 't1', delta: ', world' },
        { type: 'text-end', id: 't1' },
        { type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage },
      ];
      const model = new MockLanguageModelV3({ doStream: { stream: simulateReadableStream({ chunks, initialDelayInMs: null, chunkDelayInMs: null }) } });

      const previous = await store.loadChat(chatId);
      const messages = [...previous, question];
      const result = streamText({ model, messages: await convertToModelMessages(messages) });
      let saved: Promise<SaveChatResult> | undefined;
      const stream = result.toUIMessageStream({
        originalMessages: messages,
        generateMessageId: () => 'a1',
        onFinish: ({ messages: all }) => {
          saved = store.saveChat({ chatId, messages: all });
        },
      });
      await convertReadableStreamToArray(stream);
      await saved;

      const loaded = await store.loadChat(chatId);
      expect(loaded.map((m) => [m.id, m.role])).toEqual([
        ['q1', 'user'],
        ['a1', 'assistant'],
      ]);
      expect(loaded[1].parts).toContainEqual(expect.objectContaining({ type: 'text', text: 'Hello, world' }));
      expect(await validateUIMessages({ messages: loaded })).toEqual(loaded);
    });
  });

  describe('memory tools', () => {
    it('a model calls remember in one run and recall in the next, and gets the memory back', async () => {
      const tools = memoryTools(client, { ns: 'memories', metadata: { userId: 'u-1' } });
      const statement = 'The user prefers answers in French';

      const first = new MockLanguageModelV3({ doGenerate: [step(toolCall('c1', 'remember', { content: statement, topic: 'user.language', kind: 'value' })), step({ type: 'text', text: 'Noted.' })] });
      const run1 = await generateText({ model: first, tools, prompt: 'Please answer in French from now on.', stopWhen: stepCountIs(3) });
      const remembered = run1.steps[0].toolResults;
      expect(remembered).toEqual([expect.objectContaining({ toolName: 'remember', input: { content: statement, topic: 'user.language', kind: 'value' } })]);
      const rememberOutput = remembered[0].output as RememberOutput;
      expect(rememberOutput.fact).toEqual({ line: `V[user.language]: ${statement}`, status: 'stored', replaced: 0 });
      expect(run1.text).toBe('Noted.');

      // A later conversation, with tools made anew (say, another process).
      const later = memoryTools(await connect(), { ns: 'memories', metadata: { userId: 'u-1' } });
      const second = new MockLanguageModelV3({ doGenerate: [step(toolCall('c2', 'recall', { query: 'user language' })), step({ type: 'text', text: 'Bien sûr.' })] });
      const run2 = await generateText({ model: second, tools: later, prompt: 'Which language should you use?', stopWhen: stepCountIs(3) });
      const recalled = run2.steps[0].toolResults[0];
      expect(recalled.toolName).toBe('recall');
      const output = recalled.output as RecallOutput;
      expect(output.memories[0]).toMatchObject({ id: rememberOutput.id, content: statement, topic: 'user.language', kind: 'value' });
      expect(output.facts).toEqual([{ line: `V[user.language]: ${statement}`, topic: 'user.language', kind: 'value', content: statement }]);
      // The model's next step was given the recalled memory.
      expect(JSON.stringify(second.doGenerateCalls[1].prompt)).toContain(statement);
    });

    it('a newer fact on the same topic replaces the older one, the same statement twice is one memory, memories stay with the metadata they were stamped with', async () => {
      const mine = memoryTools(client, { ns: 'memories', metadata: { userId: 'u-2' } });
      const theirs = memoryTools(client, { ns: 'memories', metadata: { userId: 'u-3' } });
      const options = { toolCallId: 'direct', messages: [] };
      await mine.remember.execute!({ content: 'Deploy to staging first', topic: 'deploy.order', kind: 'decision' }, options);
      const newer = (await mine.remember.execute!({ content: 'Deploy straight to production', topic: 'deploy.order', kind: 'decision' }, options)) as RememberOutput;
      expect(newer.fact).toMatchObject({ status: 'stored', replaced: 1 });

      const again = (await mine.remember.execute!({ content: 'Deploy straight to production', topic: 'deploy.order', kind: 'decision' }, options)) as RememberOutput;
      expect(again).toEqual({ id: newer.id, fact: expect.objectContaining({ status: 'duplicate', replaced: 0 }) });

      const recalled = (await mine.recall.execute!({ query: 'deploy' }, options)) as RecallOutput;
      expect(recalled.facts.map((fact) => fact.line)).toEqual(['D[deploy.order]: Deploy straight to production']);
      expect(recalled.memories.map((m) => m.content).sort()).toEqual(['Deploy straight to production', 'Deploy to staging first']);
      const other = (await theirs.recall.execute!({ query: 'deploy' }, options)) as RecallOutput;
      expect(other.memories).toEqual([]);
    });

    it('input the schema refuses reaches the model as a tool error, and nothing is written', async () => {
      const tools = memoryTools(client, { ns: 'memories-refused' });
      const model = new MockLanguageModelV3({ doGenerate: [step(toolCall('c1', 'remember', { content: 'x', topic: 'a]b' })), step({ type: 'text', text: 'ok' })] });
      const run = await generateText({ model, tools, prompt: 'remember', stopWhen: stepCountIs(3) });
      expect(run.steps[0].content).toContainEqual(expect.objectContaining({ type: 'tool-error', toolName: 'remember' }));
      expect(JSON.stringify(model.doGenerateCalls[1].prompt)).toContain('a topic has no brackets and no line breaks');
      expect((await client.semantic.search({ ns: 'memories-refused', queryText: 'x', mode: 'sparse' })).hits).toEqual([]);
    });
  });
});
