/**
 * Long-term memory for a LangGraph agent, kept in memsidecar: what the user asks the agent to
 * remember in one conversation (thread) is recalled in any later one. Start the service
 * (`npx memsidecar`), build, then run
 *
 *   MEMSIDECAR_TOKEN=$(cat .memsidecar/admin.token) node dist/examples/langgraph-store-memory.js
 *
 * The model is LangChain's FakeListChatModel so the example runs offline: watch the prompt it is
 * given in thread 2, which carries the memory written in thread 1.
 */
import { randomUUID } from 'node:crypto';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { END, MemorySaver, MessagesAnnotation, START, StateGraph, type BaseStore, type LangGraphRunnableConfig } from '@langchain/langgraph';
import { MemoryClient } from '@memsidecar/client';
import { MemsidecarStore } from '@memsidecar/langgraph';

const REMEMBER = /^remember:\s*(.+)$/i;

const text = (message: BaseMessage | undefined): string => (typeof message?.content === 'string' ? message.content : '');

function memoriesOf(config: LangGraphRunnableConfig): { store: BaseStore; namespace: string[] } {
  const userId = config.configurable?.userId as string | undefined;
  if (!config.store || !userId) throw new Error('the graph needs a store and configurable.userId');
  return { store: config.store, namespace: ['memories', userId] };
}

/**
 * Two nodes: `remember` stores a message that starts with "remember:" as a memory of the user
 * (any thread), `respond` recalls the memories closest to the last message and gives them to the
 * model in a system message.
 */
export function memoryGraph(model: BaseChatModel, store: BaseStore) {
  const remember = async (state: typeof MessagesAnnotation.State, config: LangGraphRunnableConfig) => {
    const fact = REMEMBER.exec(text(state.messages.at(-1)))?.[1];
    if (fact) {
      const { store: memories, namespace } = memoriesOf(config);
      await memories.put(namespace, randomUUID(), { text: fact });
    }
    return {};
  };
  const respond = async (state: typeof MessagesAnnotation.State, config: LangGraphRunnableConfig) => {
    const { store: memories, namespace } = memoriesOf(config);
    const recalled = await memories.search(namespace, { query: text(state.messages.at(-1)), limit: 3 });
    const system = new SystemMessage(`What you know about the user:\n${recalled.map((m) => `- ${String(m.value.text)}`).join('\n') || '- nothing yet'}`);
    return { messages: [await model.invoke([system, ...state.messages], config)] };
  };
  return new StateGraph(MessagesAnnotation)
    .addNode('remember', remember)
    .addNode('respond', respond)
    .addEdge(START, 'remember')
    .addEdge('remember', 'respond')
    .addEdge('respond', END)
    .compile({ checkpointer: new MemorySaver(), store });
}

async function main(): Promise<void> {
  const client = await MemoryClient.connect();
  try {
    const store = new MemsidecarStore({ client, ns: 'example-langgraph-memory', index: { fields: ['text'] } });
    const model = new FakeListChatModel({ responses: ['Noted.', 'Lentil soup, then: you are vegetarian.'] });
    const graph = memoryGraph(model, store);
    const userId = `user-${randomUUID().slice(0, 8)}`;
    const prompts: string[] = [];
    const callbacks = [{ handleChatModelStart: (_llm: unknown, batches: BaseMessage[][]) => void prompts.push(text(batches[0][0])) }];

    await graph.invoke({ messages: [{ role: 'user', content: 'remember: I am vegetarian' }] }, { configurable: { thread_id: 'thread-1', userId }, callbacks });
    const reply = await graph.invoke({ messages: [{ role: 'user', content: 'What should I cook tonight?' }] }, { configurable: { thread_id: 'thread-2', userId }, callbacks });
    console.log(`thread 2's prompt:\n${prompts.at(-1)}\n\nthe model: ${text(reply.messages.at(-1))}`);
  } finally {
    await client.shutdown();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
