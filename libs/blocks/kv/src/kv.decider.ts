import { assertNever, failedPrecondition, type CommandMeta, type Decider } from '@memsidecar/core';
import type { KvEvent, KvValueDeleted, KvValueSet } from './kv.events';

//////////////////////////////////////// Commands

export interface PutValue {
  type: 'PutValue';
  value: unknown;
  ttlMs?: number;
  ifVersion?: number;
  metadata?: Record<string, string>;
}

export interface DeleteValue {
  type: 'DeleteValue';
  ifVersion?: number;
}

/** What the key held at a past sequence: a value, or nothing (never written, deleted or expired by then). */
export type PastValue = { value: unknown; metadata: Record<string, string> | null; expiresAt: string | null } | null;

/** Restores the key to what it held at log sequence `toSeq`, as a new event. */
export interface RestoreValue {
  type: 'RestoreValue';
  toSeq: number;
  past: PastValue;
  ifVersion?: number;
}

export type KvCommand = PutValue | DeleteValue | RestoreValue;

//////////////////////////////////////// State

export type KvState =
  | { status: 'absent' }
  | { status: 'present'; version: number; createdAt: string; expiresAt: string | null };

export const initialKvState = (): KvState => ({ status: 'absent' });

/** An expired key is absent: version 0, and the next write starts again at 1. */
const liveVersion = (state: KvState, now: Date): number =>
  isLive(state, now) ? (state as Extract<KvState, { status: 'present' }>).version : 0;

const isLive = (state: KvState, now: Date): boolean =>
  state.status === 'present' && (state.expiresAt === null || Date.parse(state.expiresAt) > now.getTime());

const versionMismatch = (expected: number, actual: number) =>
  failedPrecondition('VERSION_MISMATCH', `version mismatch: ifVersion is ${expected}, current version is ${actual}`, {
    field: 'ifVersion',
    expected,
    actual,
  });

//////////////////////////////////////// Decisions

const putValue = (command: PutValue, state: KvState, meta: CommandMeta): KvValueSet => {
  const current = liveVersion(state, meta.now);
  if (command.ifVersion !== undefined && command.ifVersion !== current) throw versionMismatch(command.ifVersion, current);
  const now = meta.now.toISOString();
  const createdAt = current > 0 && state.status === 'present' ? state.createdAt : now;
  const expiresAt = command.ttlMs ? new Date(meta.now.getTime() + command.ttlMs).toISOString() : null;
  return {
    type: 'kv.value_set',
    v: 1,
    data: { value: command.value, version: current + 1, createdAt, updatedAt: now, expiresAt, metadata: command.metadata ?? null },
  };
};

const deleteValue = (command: DeleteValue, state: KvState, meta: CommandMeta): KvValueDeleted | null => {
  const current = liveVersion(state, meta.now);
  if (command.ifVersion !== undefined && command.ifVersion !== current) throw versionMismatch(command.ifVersion, current);
  if (current === 0) return null;
  return { type: 'kv.value_deleted', v: 1, data: { version: current } };
};

/**
 * A past value comes back with its metadata and its expiry time as they were; one whose expiry has
 * passed by now restores an absent key. Restoring absence over an absent key changes nothing.
 */
const restoreValue = (command: RestoreValue, state: KvState, meta: CommandMeta): KvValueSet | KvValueDeleted | null => {
  const current = liveVersion(state, meta.now);
  if (command.ifVersion !== undefined && command.ifVersion !== current) throw versionMismatch(command.ifVersion, current);
  const past = command.past;
  if (past === null || (past.expiresAt !== null && Date.parse(past.expiresAt) <= meta.now.getTime())) {
    return current === 0 ? null : { type: 'kv.value_deleted', v: 1, data: { version: current, revertedTo: command.toSeq } };
  }
  const now = meta.now.toISOString();
  const createdAt = current > 0 && state.status === 'present' ? state.createdAt : now;
  return {
    type: 'kv.value_set',
    v: 1,
    data: { value: past.value, version: current + 1, createdAt, updatedAt: now, expiresAt: past.expiresAt, metadata: past.metadata, revertedTo: command.toSeq },
  };
};

export const kvDecider: Decider<KvState, KvCommand, KvEvent> = {
  initialState: initialKvState,
  decide(command, state, meta) {
    switch (command.type) {
      case 'PutValue':
        return putValue(command, state, meta);
      case 'DeleteValue':
        return deleteValue(command, state, meta);
      case 'RestoreValue':
        return restoreValue(command, state, meta);
      default:
        return assertNever(command);
    }
  },
  evolve(_state, event) {
    switch (event.type) {
      case 'kv.value_set':
        return { status: 'present', version: event.data.version, createdAt: event.data.createdAt, expiresAt: event.data.expiresAt };
      case 'kv.value_deleted':
        return { status: 'absent' };
      default:
        return assertNever(event);
    }
  },
};
