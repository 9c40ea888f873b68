import type {
  SessionCheckpointInput as SessionCheckpointInputDto,
  SessionCheckpointResult,
  SessionCloseInput as SessionCloseInputDto,
  SessionCloseResult,
  SessionGetInput as SessionGetInputDto,
  SessionHeartbeatInput as SessionHeartbeatInputDto,
  SessionHeartbeatResult,
  SessionOpenInput as SessionOpenInputDto,
  SessionOpenResult,
  SessionRecord,
} from '@memsidecar/session';
import { method, type Call, type InputOf, type Method } from './method';

export type {
  OnOrphan,
  SessionCheckpoint,
  SessionCheckpointResult,
  SessionCloseResult,
  SessionHeartbeatResult,
  SessionOpenResult,
  SessionRecord,
} from '@memsidecar/session';

export type SessionOpenInput = InputOf<SessionOpenInputDto>;

export type SessionHeld = InputOf<SessionHeartbeatInputDto>;

export type SessionHeartbeatInput = InputOf<SessionHeartbeatInputDto>;

export type SessionCheckpointInput = InputOf<SessionCheckpointInputDto>;

export type SessionCloseInput = InputOf<SessionCloseInputDto>;

export type SessionGetInput = InputOf<SessionGetInputDto>;

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
