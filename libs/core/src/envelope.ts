/** The JSON envelope every event on the log carries (CONTRACT §5). */
export const BLOCKS = ['kv', 'episodic', 'semantic', 'artifact', 'lease', 'session', 'facts', 'audit', 'auth'] as const;
export type Block = (typeof BLOCKS)[number];

export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  v: number;
  data: D;
}

export interface EventEnvelope<E extends DomainEvent = DomainEvent> {
  id: string;
  type: E['type'];
  v: number;
  at: string;
  tenant: string;
  agent: string;
  tokenId?: string;
  sessionId?: string;
  block: Block;
  ns: string;
  entity: string;
  requestId?: string;
  data: E['data'];
}

/** An envelope as read back from the log, with its stream sequence. */
export interface StoredEvent<E extends DomainEvent = DomainEvent> extends EventEnvelope<E> {
  seq: number;
}
