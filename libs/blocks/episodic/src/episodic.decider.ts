import { assertNever, type Decider } from '@memsidecar/core';
import type { EpisodicEvent } from './episodic.events';

//////////////////////////////////////// Commands

export interface AppendEvent {
  type: 'AppendEvent';
  eventId: string;
  eventType: string;
  payload: unknown;
  role?: string;
  sessionId?: string;
  metadata?: Record<string, string>;
  dedupKey?: string;
  supersedes?: string[];
  /** Set by the look-up before the decision when the dedup key is already taken. */
  duplicateOf?: { cursor: number };
}

export interface ExpireEvents {
  type: 'ExpireEvents';
  action: 'soft' | 'hard';
  selection: { beforeCursor?: number; before?: Date; maxRows: number };
  /** Set by the look-up before the decision: the matching events, oldest first. */
  cursors?: number[];
}

export type EpisodicCommand = AppendEvent | ExpireEvents;

//////////////////////////////////////// State

/** A namespace's log: cursors are dense from 1 and never reused, even after a hard delete. */
export interface EpisodicState {
  lastCursor: number;
}

export const initialEpisodicState = (): EpisodicState => ({ lastCursor: 0 });

//////////////////////////////////////// Decisions

export const episodicDecider: Decider<EpisodicState, EpisodicCommand, EpisodicEvent> = {
  initialState: initialEpisodicState,
  decide(command, state, meta) {
    switch (command.type) {
      case 'AppendEvent':
        if (command.duplicateOf) return null;
        return {
          type: 'episodic.event_appended',
          v: 1,
          data: {
            cursor: state.lastCursor + 1,
            eventId: command.eventId,
            type: command.eventType,
            payload: command.payload ?? null,
            role: command.role ?? null,
            sessionId: command.sessionId ?? null,
            metadata: command.metadata ?? null,
            dedupKey: command.dedupKey || null,
            supersedes: (command.supersedes ?? []).filter((id) => id !== command.eventId),
            createdAt: meta.now.toISOString(),
          },
        };
      case 'ExpireEvents':
        if (!command.cursors?.length) return null;
        return { type: 'episodic.events_expired', v: 1, data: { cursor: state.lastCursor, action: command.action, cursors: command.cursors } };
      default:
        return assertNever(command);
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'episodic.event_appended':
      case 'episodic.events_expired':
        return { lastCursor: event.data.cursor };
      default:
        return assertNever(event);
    }
  },
};
