import type { OnOrphan } from './session.events';

export interface SessionOpenResult {
  sessionId: string;
  /** Sent with every call in the session (`Mem-Session-Token`); each open issues a new one. */
  sessionToken: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  expiresAt: string;
  warnings: string[];
  seq: number;
}

export interface SessionHeartbeatResult {
  expiresAt: string;
  seq: number;
}

export interface SessionCheckpointResult {
  seq: number;
}

export interface SessionCloseResult {
  closed: true;
  /** Leases acquired in the session, released by the close. */
  releasedLeases: number;
  seq: number;
}

export interface SessionCheckpoint {
  state: unknown;
  turn: number | null;
  at: string;
}

/** `session.get`'s reply. */
export interface SessionRecord {
  sessionId: string;
  status: 'open' | 'closed' | 'orphaned';
  parentSessionId: string | null;
  agent: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  onOrphan: OnOrphan;
  metadata: Record<string, string>;
  openedAt: string;
  lastHeartbeatAt: string;
  expiresAt: string;
  lastCheckpoint: SessionCheckpoint | null;
  closedAt: string | null;
  /** Who closed it and why, or why it was found orphaned. */
  closeReason: string | null;
}
