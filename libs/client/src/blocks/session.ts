import type { SessionCheckpointInput as SessionCheckpointInputDto, SessionCloseInput as SessionCloseInputDto, SessionGetInput as SessionGetInputDto, SessionHeartbeatInput as SessionHeartbeatInputDto, SessionOpenInput as SessionOpenInputDto } from '@memsidecar/session';
import { method, type Call, type Metadata, type InputOf, type Method } from './method';

export type OnOrphan = 'checkpoint_and_close' | 'abort_quietly';

export type SessionOpenInput = InputOf<SessionOpenInputDto>;

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

export type SessionHeld = InputOf<SessionHeartbeatInputDto>;

export type SessionHeartbeatInput = InputOf<SessionHeartbeatInputDto>;

export interface SessionHeartbeatResult {
  expiresAt: string;
  seq: number;
}

export type SessionCheckpointInput = InputOf<SessionCheckpointInputDto>;

export interface SessionCheckpointResult {
  seq: number;
}

export type SessionCloseInput = InputOf<SessionCloseInputDto>;

export interface SessionCloseResult {
  closed: true;
  /** Leases acquired in the session, released by the close. */
  releasedLeases: number;
  seq: number;
}

export type SessionGetInput = InputOf<SessionGetInputDto>;

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
