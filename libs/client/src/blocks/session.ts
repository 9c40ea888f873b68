import { method, type Call, type Metadata, type Method, type ReadInput } from './method';

export type OnOrphan = 'checkpoint_and_close' | 'abort_quietly';

export interface SessionOpenInput {
  /** 1-128 characters of `[A-Za-z0-9_.:-]`; generated when absent. */
  sessionId?: string;
  parentSessionId?: string;
  /** Defaults to the token's agent. */
  agent?: string;
  /** Default 10000. */
  heartbeatIntervalMs?: number;
  /** Default 25000; must exceed `heartbeatIntervalMs`. */
  heartbeatTimeoutMs?: number;
  /** @deprecated Use `heartbeatTimeoutMs`; still honoured, and the reply's `warnings` says so. */
  timeoutMs?: number;
  /** What the service does when the heartbeats stop; default `checkpoint_and_close`. */
  onOrphan?: OnOrphan;
  metadata?: Metadata;
}

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

export interface SessionHeld {
  sessionId: string;
  sessionToken: string;
}

export type SessionHeartbeatInput = SessionHeld;

export interface SessionHeartbeatResult {
  expiresAt: string;
  seq: number;
}

export interface SessionCheckpointInput extends SessionHeld {
  state?: unknown;
  turn?: number;
}

export interface SessionCheckpointResult {
  seq: number;
}

export interface SessionCloseInput extends SessionHeld {
  /** The final checkpoint's state; the last checkpoint's when absent. */
  state?: unknown;
}

export interface SessionCloseResult {
  closed: true;
  /** Leases acquired in the session, released by the close. */
  releasedLeases: number;
  seq: number;
}

export interface SessionGetInput extends ReadInput {
  sessionId: string;
}

export interface SessionCheckpoint {
  state: unknown;
  turn: number | null;
  at: string;
}

export interface SessionRecord {
  sessionId: string;
  status: 'open' | 'closed' | 'orphaned';
  parentSessionId: string | null;
  agent: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  onOrphan: OnOrphan;
  metadata: Metadata;
  openedAt: string;
  lastHeartbeatAt: string;
  expiresAt: string;
  lastCheckpoint: SessionCheckpoint | null;
  closedAt: string | null;
  /** Who closed it and why, or why it was found orphaned. */
  closeReason: string | null;
}

/**
 * The session operations as the service serves them. `MemoryClient.openSession` builds on them
 * and keeps the heartbeats going.
 */
export interface SessionOpsClient {
  open: Method<SessionOpenInput, SessionOpenResult>;
  heartbeat: Method<SessionHeartbeatInput, SessionHeartbeatResult>;
  checkpoint: Method<SessionCheckpointInput, SessionCheckpointResult>;
  close: Method<SessionCloseInput, SessionCloseResult>;
  /** Unknown session → NOT_FOUND. */
  get: Method<SessionGetInput, SessionRecord>;
}

export const sessionOpsClient = (call: Call): SessionOpsClient => ({
  open: method(call, 'session.open'),
  heartbeat: method(call, 'session.heartbeat'),
  checkpoint: method(call, 'session.checkpoint'),
  close: method(call, 'session.close'),
  get: method(call, 'session.get'),
});
