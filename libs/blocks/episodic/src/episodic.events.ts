import type { DomainEvent } from '@memsidecar/core';

export interface EpisodicEventAppendedData {
  cursor: number;
  eventId: string;
  type: string;
  payload: unknown;
  role: string | null;
  sessionId: string | null;
  metadata: Record<string, string> | null;
  dedupKey: string | null;
  supersedes: string[];
  createdAt: string;
}

export interface EpisodicEventsExpiredData {
  /** The namespace's last cursor, carried so the newest event alone rebuilds the state. */
  cursor: number;
  action: 'soft' | 'hard';
  /** Exactly the events affected, oldest first. */
  cursors: number[];
}

export type EpisodicEventAppended = DomainEvent<'episodic.event_appended', EpisodicEventAppendedData>;
export type EpisodicEventsExpired = DomainEvent<'episodic.events_expired', EpisodicEventsExpiredData>;
export type EpisodicEvent = EpisodicEventAppended | EpisodicEventsExpired;
