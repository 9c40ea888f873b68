import type { StoredEvent } from './envelope';

/**
 * How far an operator trusts what a token writes, lowest first. Set on the token at issuance,
 * never by a request body. A token without a label writes unlabelled events: unlabelled ranks
 * below `low`, so nothing derived from an unlabelled source carries a label either.
 */
export const TRUST_LABELS = ['low', 'medium', 'high'] as const;
export type TrustLabel = (typeof TRUST_LABELS)[number];

export const isTrustLabel = (value: unknown): value is TrustLabel => typeof value === 'string' && (TRUST_LABELS as readonly string[]).includes(value);

/**
 * The lowest of the labels, where an absent label (`undefined`) is lower than any: the trust of a
 * memory derived from others by a token is the lowest of the token's and every source's.
 */
export function lowestTrust(labels: readonly (TrustLabel | undefined)[]): TrustLabel | undefined {
  let lowest: TrustLabel | undefined = TRUST_LABELS[TRUST_LABELS.length - 1];
  for (const label of labels) {
    if (label === undefined) return undefined;
    if (TRUST_LABELS.indexOf(label) < TRUST_LABELS.indexOf(lowest!)) lowest = label;
  }
  return lowest;
}

/** Where an item returned by a read came from: the event on the log that produced it. */
export interface Provenance {
  agent: string;
  sessionId?: string;
  tokenId?: string;
  /** `nats`, `grpc`, `http`, `mcp`, or the operator tool that wrote it (`memctl`). */
  transport?: string;
  /** Stream sequence of the event. */
  seq: number;
  /** When the event was appended. */
  at: string;
  trust?: TrustLabel;
  /** Sequences of the events the item was derived from. */
  derivedFrom?: number[];
}

/** The provenance of what `event` produced: the one builder every read model stores and every reply returns. */
export function provenanceOf(event: StoredEvent): Provenance {
  return {
    agent: event.agent,
    ...(event.sessionId ? { sessionId: event.sessionId } : {}),
    ...(event.tokenId ? { tokenId: event.tokenId } : {}),
    ...(event.transport ? { transport: event.transport } : {}),
    seq: event.seq,
    at: event.at,
    ...(event.trust ? { trust: event.trust } : {}),
    ...(event.derivedFrom?.length ? { derivedFrom: event.derivedFrom } : {}),
  };
}

/**
 * A reply item's `provenance` from what its read-model row stored: absent only for a row projected
 * before read models kept it, until a rebuild restores it from the log.
 */
export const provenanceField = (stored: Provenance | null | undefined): { provenance?: Provenance } => (stored ? { provenance: stored } : {});
