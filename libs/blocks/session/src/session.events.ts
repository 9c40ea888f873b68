import type { DomainEvent } from '@memsidecar/core';

export type OnOrphan = 'checkpoint_and_close' | 'abort_quietly';
export type SessionStatus = 'open' | 'closed' | 'orphaned';

export interface Checkpoint {
  state: unknown;
  turn: number | null;
  at: string;
}

/** A session's whole state; every session event carries it, so the newest event rebuilds it. */
export interface SessionData {
  status: SessionStatus;
  /** SHA-256 of the current session token: the token itself never reaches the log. */
  tokenHash: string;
  parentSessionId: string | null;
  agent: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  onOrphan: OnOrphan;
  metadata: Record<string, string> | null;
  openedAt: string;
  lastHeartbeatAt: string;
  lastCheckpoint: Checkpoint | null;
  closedAt: string | null;
  /** Who or what ended the session, and why. */
  closeReason: string | null;
}

export type SessionOpened = DomainEvent<'session.opened', SessionData>;
export type SessionHeartbeatRecorded = DomainEvent<'session.heartbeat_recorded', SessionData>;
export type SessionCheckpointed = DomainEvent<'session.checkpointed', SessionData>;
export type SessionClosed = DomainEvent<'session.closed', SessionData>;
export type SessionOrphaned = DomainEvent<'session.orphaned', SessionData & { detectedBy: string; finalCheckpointWritten: boolean }>;
export type SessionEvent = SessionOpened | SessionHeartbeatRecorded | SessionCheckpointed | SessionClosed | SessionOrphaned;
