import { BaseListChatMessageHistory } from '@langchain/core/chat_history';
import { mapChatMessagesToStoredMessages, mapStoredMessagesToChatMessages, type BaseMessage, type StoredMessage } from '@langchain/core/messages';
import type { EpisodicEvent, MemoryClient } from '@memsidecar/client';

export interface MemsidecarChatMessageHistoryOptions {
  client: MemoryClient;
  /** The conversation: every history with this id reads and writes the same messages. */
  sessionId: string;
  /** The episodic namespace; default `chat-history`. */
  ns?: string;
}

const MESSAGE = 'chat.message';
const CLEARED = 'chat.cleared';
const PAGE = 1000;

/**
 * A LangChain chat history on memsidecar's episodic memory: each message is one event of the
 * session, in the order the service appended them. Appends from any number of histories, processes
 * or machines on one session all land, each once (a retried append carries its request id).
 * `clear()` appends a marker: the messages before it are no longer read, and stay in the log.
 */
export class MemsidecarChatMessageHistory extends BaseListChatMessageHistory {
  lc_namespace = ['memsidecar', 'langchain', 'chat_history'];
  readonly sessionId: string;
  readonly ns: string;
  private readonly client: MemoryClient;
  /** The stream sequence of this history's last write: reads wait for it, so any instance serves them. */
  private lastSeq = 0;

  constructor(options: MemsidecarChatMessageHistoryOptions) {
    super({ sessionId: options.sessionId, ns: options.ns });
    if (typeof options.sessionId !== 'string' || options.sessionId === '') throw new TypeError('sessionId must be a non-empty string.');
    this.client = options.client;
    this.sessionId = options.sessionId;
    this.ns = options.ns ?? 'chat-history';
  }

  async getMessages(): Promise<BaseMessage[]> {
    const stored: StoredMessage[] = [];
    let afterCursor = await this.clearedAt();
    for (;;) {
      const { events, nextCursor } = await this.client.episodic.range({ ns: this.ns, sessionId: this.sessionId, type: MESSAGE, afterCursor, limit: PAGE, minSeq: this.lastSeq });
      stored.push(...events.map(toStored));
      if (nextCursor === null) break;
      afterCursor = nextCursor;
    }
    return mapStoredMessagesToChatMessages(stored);
  }

  async addMessage(message: BaseMessage): Promise<void> {
    await this.addMessages([message]);
  }

  /** One event per message, appended one after the other so they keep their order. */
  override async addMessages(messages: BaseMessage[]): Promise<void> {
    for (const payload of mapChatMessagesToStoredMessages(messages)) {
      const { seq } = await this.client.episodic.append({ ns: this.ns, type: MESSAGE, sessionId: this.sessionId, role: payload.type, payload });
      this.lastSeq = Math.max(this.lastSeq, seq);
    }
  }

  override async clear(): Promise<void> {
    const { seq } = await this.client.episodic.append({ ns: this.ns, type: CLEARED, sessionId: this.sessionId });
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  /** The cursor of the session's last clear, 0 if it was never cleared. */
  private async clearedAt(): Promise<number> {
    const { events } = await this.client.episodic.range({ ns: this.ns, sessionId: this.sessionId, type: CLEARED, reverse: true, limit: 1, minSeq: this.lastSeq });
    return events[0]?.cursor ?? 0;
  }
}

function toStored(event: EpisodicEvent): StoredMessage {
  const payload = event.payload as Partial<StoredMessage> | null;
  if (!payload || typeof payload.type !== 'string' || typeof payload.data !== 'object') {
    throw new Error(`Event ${event.id} (cursor ${event.cursor}) of ${event.sessionId} is not a stored chat message.`);
  }
  return payload as StoredMessage;
}
