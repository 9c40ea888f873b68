import { canonicalHash } from './canonical-hash';

/**
 * The kv value of one chat: the order of its messages and where each one's content is. The
 * contents are episodic events (one per version of a message), so a chat can outgrow one kv value;
 * only this index has to fit in it.
 */
export interface ChatIndex {
  format: 1;
  /** Highest stream sequence of the events the index refers to: a reader waits for it (`minSeq`). */
  seq: number;
  messages: IndexedMessage[];
}

export interface IndexedMessage {
  id: string;
  /** Episodic cursor of the event holding this version of the message. */
  cursor: number;
  /** Content hash of this version (see `messageHash`). */
  hash: string;
}

export const emptyIndex = (): ChatIndex => ({ format: 1, seq: 0, messages: [] });

/** Reads a stored kv value as an index; anything else is not a chat this store wrote. */
export function asChatIndex(value: unknown): ChatIndex | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<ChatIndex>;
  if (v.format !== 1 || typeof v.seq !== 'number' || !Array.isArray(v.messages)) return undefined;
  const wellFormed = v.messages.every((m) => typeof m?.id === 'string' && typeof m.cursor === 'number' && typeof m.hash === 'string');
  return wellFormed ? (v as ChatIndex) : undefined;
}

/**
 * The event store keeps JSON as Postgres `jsonb`, which does not keep key order: a message read back
 * must hash as it did when written, so the hash is of its canonical JSON.
 */
export const messageHash = (message: unknown): string => canonicalHash(message);
