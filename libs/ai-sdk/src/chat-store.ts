import { createHash, randomUUID } from 'node:crypto';
import type { UIMessage } from 'ai';
import { MemoryError, type MemoryClient } from '@memsidecar/client';
import { canonicalHash } from './canonical-hash';
import { asChatIndex, emptyIndex, messageHash, type ChatIndex, type IndexedMessage } from './chat-index';
import { ChatStoreError } from './chat-store-error';
import { mergeMessages } from './merge-messages';

export interface ChatStoreOptions {
  /** The kv namespace of the chat indexes and the episodic namespace of the messages. */
  ns: string;
  /** Prefix of the chats' kv keys; default `chat/`. */
  keyPrefix?: string;
  /** Compare-and-set rounds a save may lose to other writers before `CONFLICT`; default 16. */
  maxAttempts?: number;
  /** The service's `limits.maxValueBytes` (default 256 KiB): checked here to fail with a clear error. */
  maxValueBytes?: number;
}

export interface SaveChatResult {
  /** The chat's kv version after the save. */
  version: number;
  /** Compare-and-set rounds it took (1 when no other writer got in between). */
  attempts: number;
  /** Messages in the stored chat: this save's and those other writers added. */
  messages: number;
}

/** Episodic event type of a stored message version. */
export const MESSAGE_EVENT_TYPE = 'ai-sdk.ui-message';
const MAX_CHAT_ID = 128;
const RANGE_PAGE = 1000;
/** Longest pause between two compare-and-set rounds: writers that lost together spread out. */
const MAX_PAUSE_MS = 100;

interface StoredChat {
  version: number;
  index: ChatIndex;
}

interface OwnMessage<M> {
  id: string;
  hash: string;
  message: M;
}

/**
 * The AI SDK's chat persistence (`createChat`, `loadChat`, `saveChat`) on memsidecar. A chat is a kv
 * value holding its message order (the index) and one episodic event per version of a message.
 * Saves are compare-and-set on the index: a save that finds the chat changed since it read it merges
 * by message id (`mergeMessages`) and tries again, so concurrent saves never lose a message.
 */
export class MemoryChatStore<M extends UIMessage = UIMessage> {
  private readonly ns: string;
  private readonly keyPrefix: string;
  private readonly maxAttempts: number;
  private readonly maxValueBytes: number;

  constructor(
    private readonly client: MemoryClient,
    options: ChatStoreOptions,
  ) {
    this.ns = options.ns;
    this.keyPrefix = options.keyPrefix ?? 'chat/';
    this.maxAttempts = positiveInt('maxAttempts', options.maxAttempts ?? 16);
    this.maxValueBytes = positiveInt('maxValueBytes', options.maxValueBytes ?? 256 * 1024);
  }

  /** Creates an empty chat; `EXISTS` when `chatId` is taken. */
  async createChat(chatId: string = randomUUID()): Promise<string> {
    checkChatId(chatId);
    try {
      await this.client.kv.put({ ns: this.ns, key: this.key(chatId), value: emptyIndex(), ifVersion: 0 });
    } catch (e) {
      if (isVersionMismatch(e)) throw new ChatStoreError('EXISTS', `chat ${chatId} already exists`, chatId);
      throw e;
    }
    return chatId;
  }

  /** The chat's messages in order; `NOT_FOUND` for a chat never created or saved. */
  async loadChat(chatId: string): Promise<M[]> {
    checkChatId(chatId);
    const stored = await this.read(chatId);
    if (!stored) throw new ChatStoreError('NOT_FOUND', `chat ${chatId} does not exist`, chatId);
    return this.readMessages(chatId, stored.index);
  }

  /**
   * Stores `messages` as the chat's, merged with what other writers stored meanwhile: the stored
   * order is kept, this save's version of a message wins, messages new to the chat follow in this
   * save's order, and no stored message is dropped. Creates the chat when it does not exist.
   */
  async saveChat({ chatId, messages }: { chatId: string; messages: M[] }): Promise<SaveChatResult> {
    checkChatId(chatId);
    const ours = ownMessages(chatId, messages);
    const appended = new Map<string, { cursor: number; seq: number }>();
    return this.compareAndSet(chatId, async ({ index }) => {
      const merged = mergeMessages(index.messages, ours);
      let seq = index.seq;
      const entries: IndexedMessage[] = [];
      for (const m of merged) {
        if ('theirs' in m.from) {
          entries.push(m.from.theirs);
          continue;
        }
        const own = m.from.ours;
        const version = `${own.id}\n${own.hash}`;
        const event = appended.get(version) ?? (await this.appendMessage(chatId, own));
        appended.set(version, event);
        seq = Math.max(seq, event.seq);
        entries.push({ id: own.id, cursor: event.cursor, hash: own.hash });
      }
      return { format: 1, seq, messages: entries };
    });
  }

  /** Removes messages from the chat by id (a save never does); unknown ids are ignored, an unknown chat is `NOT_FOUND`. */
  async deleteMessages(chatId: string, ids: string[]): Promise<SaveChatResult> {
    checkChatId(chatId);
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new ChatStoreError('INVALID', `chat ${chatId}: ids must be an array of message ids`, chatId);
    const gone = new Set(ids);
    return this.compareAndSet(chatId, async ({ index }) => ({ ...index, messages: index.messages.filter((m) => !gone.has(m.id)) }), { create: false });
  }

  private async compareAndSet(chatId: string, next: (current: StoredChat) => Promise<ChatIndex>, { create = true } = {}): Promise<SaveChatResult> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const stored = await this.read(chatId);
      if (!stored && !create) throw new ChatStoreError('NOT_FOUND', `chat ${chatId} does not exist`, chatId);
      const current = stored ?? { version: 0, index: emptyIndex() };
      const index = await next(current);
      // Nothing changed: no write, no version, no event on the log.
      if (stored && canonicalHash(index) === canonicalHash(stored.index)) return { version: stored.version, attempts: attempt, messages: index.messages.length };
      this.checkIndexSize(chatId, index);
      try {
        const put = await this.client.kv.put({ ns: this.ns, key: this.key(chatId), value: index, ifVersion: current.version });
        return { version: put.version, attempts: attempt, messages: index.messages.length };
      } catch (e) {
        if (!isVersionMismatch(e)) throw this.sizeRefusal(e, chatId, 'the chat index') ?? e;
      }
      if (attempt < this.maxAttempts) await pause(Math.random() * Math.min(MAX_PAUSE_MS, 5 * 2 ** attempt));
    }
    throw new ChatStoreError('CONFLICT', `chat ${chatId}: other writers changed it ${this.maxAttempts} times while this save was merging; none of this save's messages is in the chat, and saving again is safe`, chatId);
  }

  private async read(chatId: string): Promise<StoredChat | undefined> {
    const got = await this.client.kv.get({ ns: this.ns, key: this.key(chatId) });
    if (!got.found) return undefined;
    const index = asChatIndex(got.value);
    if (!index) throw new ChatStoreError('INVALID', `kv key ${this.key(chatId)} in namespace ${this.ns} does not hold a chat index`, chatId);
    return { version: got.version, index };
  }

  private async appendMessage(chatId: string, own: OwnMessage<M>): Promise<{ cursor: number; seq: number }> {
    const bytes = Buffer.byteLength(JSON.stringify(own.message), 'utf8');
    if (bytes > this.maxValueBytes) throw tooLarge(chatId, `message ${own.id}`, bytes, this.maxValueBytes);
    try {
      const { cursor, seq } = await this.client.episodic.append({
        ns: this.ns,
        type: MESSAGE_EVENT_TYPE,
        sessionId: chatId,
        role: own.message.role,
        payload: own.message,
        // The same version of the same message is one event, however often it is saved.
        dedupKey: createHash('sha256').update(`${chatId}\n${own.id}\n${own.hash}`).digest('hex'),
      });
      return { cursor, seq };
    } catch (e) {
      throw this.sizeRefusal(e, chatId, `message ${own.id}`) ?? e;
    }
  }

  private async readMessages(chatId: string, index: ChatIndex): Promise<M[]> {
    if (index.messages.length === 0) return [];
    const cursors = index.messages.map((m) => m.cursor);
    const found = new Map<number, unknown>();
    const wanted = new Set(cursors);
    const before = Math.max(...cursors) + 1;
    let after: number | null = Math.min(...cursors) - 1;
    while (after !== null && found.size < wanted.size) {
      const page = await this.client.episodic.range({
        ns: this.ns,
        sessionId: chatId,
        type: MESSAGE_EVENT_TYPE,
        afterCursor: after,
        beforeCursor: before,
        limit: RANGE_PAGE,
        ...(index.seq > 0 ? { minSeq: index.seq } : {}),
      });
      for (const event of page.events) if (wanted.has(event.cursor)) found.set(event.cursor, event.payload);
      after = page.nextCursor;
    }
    return index.messages.map((m) => {
      if (!found.has(m.cursor)) throw new ChatStoreError('MISSING_MESSAGE', `chat ${chatId}: message ${m.id} (episodic cursor ${m.cursor} in namespace ${this.ns}) is no longer stored`, chatId);
      return found.get(m.cursor) as M;
    });
  }

  private checkIndexSize(chatId: string, index: ChatIndex): void {
    const bytes = Buffer.byteLength(JSON.stringify(index), 'utf8');
    if (bytes > this.maxValueBytes) throw tooLarge(chatId, `the index of its ${index.messages.length} messages`, bytes, this.maxValueBytes);
  }

  /** The service's own size refusal, for a service configured below this store's `maxValueBytes`. */
  private sizeRefusal(e: unknown, chatId: string, what: string): ChatStoreError | undefined {
    if (!(e instanceof MemoryError) || e.code !== 'INVALID_ARGUMENT' || !/over the limit/.test(e.message)) return undefined;
    return new ChatStoreError('TOO_LARGE', `chat ${chatId}: ${what} was refused by the service (${e.message}); the service's limit is limits.maxValueBytes`, chatId);
  }

  private key(chatId: string): string {
    return this.keyPrefix + chatId;
  }
}

function ownMessages<M extends UIMessage>(chatId: string, messages: M[]): OwnMessage<M>[] {
  if (!Array.isArray(messages)) throw new ChatStoreError('INVALID', `chat ${chatId}: messages must be an array of UIMessage`, chatId);
  const seen = new Set<string>();
  return messages.map((message, i) => {
    const id = (message as Partial<UIMessage> | null)?.id;
    if (typeof id !== 'string' || id === '') throw new ChatStoreError('INVALID', `chat ${chatId}: messages[${i}] has no id (a non-empty string)`, chatId);
    if (seen.has(id)) throw new ChatStoreError('INVALID', `chat ${chatId}: message id ${id} appears twice`, chatId);
    seen.add(id);
    return { id, hash: messageHash(message), message };
  });
}

function checkChatId(chatId: unknown): void {
  if (typeof chatId !== 'string' || chatId.length === 0 || chatId.length > MAX_CHAT_ID) {
    throw new ChatStoreError('INVALID', `chat id must be a string of 1-${MAX_CHAT_ID} characters, got ${JSON.stringify(chatId)}`);
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ChatStoreError('INVALID', `${name} must be a positive integer, got ${value}`);
  return value;
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

const isVersionMismatch = (e: unknown): boolean => e instanceof MemoryError && e.reason === 'VERSION_MISMATCH';

const tooLarge = (chatId: string, what: string, bytes: number, limit: number) =>
  new ChatStoreError('TOO_LARGE', `chat ${chatId}: ${what} is ${bytes} bytes, over limits.maxValueBytes (${limit})`, chatId);
