import { assertNever, failedPrecondition, type CommandMeta, type Decider } from '@memsidecar/core';
import type { OnOrphan, SessionData, SessionEvent } from './session.events';

//////////////////////////////////////// Commands

export interface OpenSession {
  type: 'OpenSession';
  tokenHash: string;
  parentSessionId?: string;
  agent: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  onOrphan: OnOrphan;
  metadata?: Record<string, string>;
}

export interface RecordHeartbeat {
  type: 'RecordHeartbeat';
  tokenHash: string;
}

export interface WriteCheckpoint {
  type: 'WriteCheckpoint';
  tokenHash: string;
  state?: unknown;
  turn?: number;
}

export interface CloseSession {
  type: 'CloseSession';
  tokenHash: string;
  state?: unknown;
}

/** Sent by an orphan detector; changes nothing unless the heartbeats really stopped. */
export interface OrphanSession {
  type: 'OrphanSession';
  detectedBy: string;
}

export type SessionCommand = OpenSession | RecordHeartbeat | WriteCheckpoint | CloseSession | OrphanSession;

//////////////////////////////////////// State

export type SessionState = { status: 'absent' } | SessionData;

export const initialSessionState = (): SessionState => ({ status: 'absent' });

export const deadlineOf = (s: SessionData): number => Date.parse(s.lastHeartbeatAt) + s.heartbeatTimeoutMs;

const sessionClosed = (message: string) => failedPrecondition('SESSION_CLOSED', message);

/** Commands of the holder need an open session, the current token, and heartbeats that did not stop. */
function live(state: SessionState, tokenHash: string, now: Date): SessionData {
  if (state.status === 'absent') throw sessionClosed('session does not exist');
  if (state.status !== 'open') throw sessionClosed(`session is ${state.status}`);
  if (state.tokenHash !== tokenHash) throw sessionClosed('session token is stale: the session was opened again');
  if (now.getTime() >= deadlineOf(state)) throw sessionClosed('session missed its heartbeat timeout');
  return state;
}

//////////////////////////////////////// Decisions

function open(c: OpenSession, state: SessionState, meta: CommandMeta): SessionEvent {
  const now = meta.now.toISOString();
  const previous = state.status === 'absent' ? null : state;
  return {
    type: 'session.opened',
    v: 1,
    data: {
      status: 'open',
      tokenHash: c.tokenHash,
      parentSessionId: c.parentSessionId ?? previous?.parentSessionId ?? null,
      agent: c.agent,
      heartbeatIntervalMs: c.heartbeatIntervalMs,
      heartbeatTimeoutMs: c.heartbeatTimeoutMs,
      onOrphan: c.onOrphan,
      metadata: c.metadata ?? previous?.metadata ?? null,
      openedAt: now,
      lastHeartbeatAt: now,
      lastCheckpoint: previous?.lastCheckpoint ?? null,
      closedAt: null,
      closeReason: null,
    },
  };
}

function orphan(c: OrphanSession, state: SessionState, meta: CommandMeta): SessionEvent | null {
  if (state.status !== 'open' || meta.now.getTime() < deadlineOf(state)) return null;
  const writeFinal = state.onOrphan === 'checkpoint_and_close';
  const at = meta.now.toISOString();
  return {
    type: 'session.orphaned',
    v: 1,
    data: {
      ...state,
      status: 'orphaned',
      lastCheckpoint: writeFinal ? { state: state.lastCheckpoint?.state ?? null, turn: state.lastCheckpoint?.turn ?? null, at } : state.lastCheckpoint,
      closedAt: at,
      closeReason: `no heartbeat for ${state.heartbeatTimeoutMs} ms (since ${state.lastHeartbeatAt}); ${state.onOrphan}`,
      detectedBy: c.detectedBy,
      finalCheckpointWritten: writeFinal,
    },
  };
}

export const sessionDecider: Decider<SessionState, SessionCommand, SessionEvent> = {
  initialState: initialSessionState,
  decide(command, state, meta) {
    const now = meta.now.toISOString();
    switch (command.type) {
      case 'OpenSession':
        return open(command, state, meta);
      case 'RecordHeartbeat':
        return { type: 'session.heartbeat_recorded', v: 1, data: { ...live(state, command.tokenHash, meta.now), lastHeartbeatAt: now } };
      case 'WriteCheckpoint': {
        const s = live(state, command.tokenHash, meta.now);
        const turn = command.turn ?? s.lastCheckpoint?.turn ?? null;
        return { type: 'session.checkpointed', v: 1, data: { ...s, lastHeartbeatAt: now, lastCheckpoint: { state: command.state ?? null, turn, at: now } } };
      }
      case 'CloseSession': {
        const s = live(state, command.tokenHash, meta.now);
        const finalState = command.state !== undefined ? command.state : (s.lastCheckpoint?.state ?? null);
        return {
          type: 'session.closed',
          v: 1,
          data: { ...s, status: 'closed', lastCheckpoint: { state: finalState, turn: s.lastCheckpoint?.turn ?? null, at: now }, closedAt: now, closeReason: `closed by ${meta.agent || 'its holder'}` },
        };
      }
      case 'OrphanSession':
        return orphan(command, state, meta);
      default:
        return assertNever(command);
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'session.opened':
      case 'session.heartbeat_recorded':
      case 'session.checkpointed':
      case 'session.closed':
        return event.data;
      case 'session.orphaned': {
        const { detectedBy: _by, finalCheckpointWritten: _written, ...data } = event.data;
        return data;
      }
      default:
        return assertNever(event);
    }
  },
};
