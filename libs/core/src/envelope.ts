import type { TrustLabel } from './provenance';

/** The JSON envelope every event on the log carries (CONTRACT §5). */
export const BLOCKS = ['kv', 'episodic', 'semantic', 'artifact', 'lease', 'session', 'facts', 'graph', 'audit', 'auth'] as const;
export type Block = (typeof BLOCKS)[number];

export interface DomainEvent<T extends string = string, D = unknown> {
  type: T;
  v: number;
  data: D;
}

interface Envelope<T extends string, D> {
  id: string;
  type: T;
  v: number;
  at: string;
  tenant: string;
  agent: string;
  tokenId?: string;
  sessionId?: string;
  /** What carried the request that wrote it (`nats`, `grpc`, `http`, `mcp`, `memctl`). */
  transport?: string;
  /** The writing token's trust label, lowered to the lowest of the sources' for a derived write. */
  trust?: TrustLabel;
  /** Sequences of the events this one's memory was derived from. */
  derivedFrom?: number[];
  block: Block;
  ns: string;
  entity: string;
  requestId?: string;
  data: D;
}

/**
 * An event in its envelope. Distributive over a union of domain events: `EventEnvelope<A | B>` is
 * `EventEnvelope<A> | EventEnvelope<B>`, so narrowing `type` narrows `data`.
 */
export type EventEnvelope<E extends DomainEvent = DomainEvent> = E extends DomainEvent ? Envelope<E['type'], E['data']> : never;

/**
 * An envelope as read back from the log, with its stream sequence (distributive like `EventEnvelope`).
 * `erased`: the key its payload was sealed with is destroyed, so `data` is null (see `audit.erase`).
 */
export type StoredEvent<E extends DomainEvent = DomainEvent> = E extends DomainEvent ? Envelope<E['type'], E['data']> & { seq: number; erased?: true } : never;
