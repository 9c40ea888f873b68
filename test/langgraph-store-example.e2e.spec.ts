import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BaseMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarStore } from '@memsidecar/langgraph';
import { memoryGraph } from '../examples/langgraph-store-memory';
import { serviceFixture } from './support/fixture';

const text = (m: BaseMessage | undefined) => (typeof m?.content === 'string' ? m.content : '');

describe('langgraph store - the long-term memory example', () => {
  const f = serviceFixture('postgres', { MEMSIDECAR_EMBEDDER: 'hashing' });
  let client: MemoryClient;
  beforeAll(async () => {
    client = await MemoryClient.connect({ natsUrl: f.nats.url, token: f.service.adminToken(), logger: { warn: () => undefined } });
  });
  afterAll(async () => {
    await client?.shutdown();
  });

  it('what thread 1 stored is recalled in thread 2, for that user only, from a fresh store on the same service', async () => {
    const ns = `example-${process.pid}`;
    const prompts: string[] = [];
    const callbacks = [{ handleChatModelStart: (_llm: unknown, batches: BaseMessage[][]) => void prompts.push(text(batches[0][0])) }];
    const model = new FakeListChatModel({ responses: ['Noted.', 'Lentil soup.', 'Anything.'] });

    const first = memoryGraph(model, new MemsidecarStore({ client, ns, index: { fields: ['text'] } }));
    await first.invoke({ messages: [{ role: 'user', content: 'remember: I am vegetarian and allergic to peanuts' }] }, { configurable: { thread_id: 't1', userId: 'ann' }, callbacks });

    // Another graph and store (another process, say): only memsidecar carries the memory over.
    const second = memoryGraph(model, new MemsidecarStore({ client, ns, index: { fields: ['text'] } }));
    const reply = await second.invoke({ messages: [{ role: 'user', content: 'What should I cook? I am allergic to something' }] }, { configurable: { thread_id: 't2', userId: 'ann' }, callbacks });
    expect(reply.messages.map((m) => text(m))).toEqual(['What should I cook? I am allergic to something', 'Lentil soup.']);
    expect(prompts[1]).toContain('I am vegetarian and allergic to peanuts');

    await second.invoke({ messages: [{ role: 'user', content: 'What am I allergic to?' }] }, { configurable: { thread_id: 't3', userId: 'bob' }, callbacks });
    expect(prompts[2]).not.toContain('peanuts');
    expect(prompts[2]).toContain('nothing yet');
  });
});
