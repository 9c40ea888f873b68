import { describe, expect, it } from 'vitest';
import type { CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { sessionDecider, type OpenSession } from './session.decider';
import type { SessionData, SessionEvent } from './session.events';

const spec = deciderSpec(sessionDecider, expect);
const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (ms: number): CommandMeta => ({ now: new Date(t0 + ms), tenant: 't', agent: 'bot' });
const iso = (ms: number) => new Date(t0 + ms).toISOString();
const openCmd = (over: Partial<OpenSession> = {}): OpenSession => ({
  type: 'OpenSession', tokenHash: 'h1', agent: 'bot', heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1000, onOrphan: 'checkpoint_and_close', ...over,
});
const state = (over: Partial<SessionData> = {}): SessionData => ({
  status: 'open', tokenHash: 'h1', parentSessionId: null, agent: 'bot', heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1000,
  onOrphan: 'checkpoint_and_close', metadata: null, openedAt: iso(0), lastHeartbeatAt: iso(0), lastCheckpoint: null, closedAt: null, closeReason: null, ...over,
});
const ev = (type: SessionEvent['type'], data: SessionData): SessionEvent => ({ type, v: 1, data } as SessionEvent);
const opened = ev('session.opened', state());

describe('session decider - open', () => {
  it('opens a new session with its token hash, settings and lineage', () => {
    spec.given([]).when(openCmd({ parentSessionId: 'p1' }), at(0)).then(ev('session.opened', state({ parentSessionId: 'p1' })));
  });

  it('opening again issues a new token and keeps the last checkpoint', () => {
    const checkpointed = ev('session.checkpointed', state({ lastCheckpoint: { state: 's', turn: 3, at: iso(10) }, lastHeartbeatAt: iso(10) }));
    spec
      .given([opened, checkpointed])
      .when(openCmd({ tokenHash: 'h2' }), at(50))
      .then(ev('session.opened', state({ tokenHash: 'h2', openedAt: iso(50), lastHeartbeatAt: iso(50), lastCheckpoint: { state: 's', turn: 3, at: iso(10) } })));
  });
});

describe('session decider - holder commands', () => {
  it('a heartbeat moves the deadline', () => {
    spec.given([opened]).when({ type: 'RecordHeartbeat', tokenHash: 'h1' }, at(500)).then(ev('session.heartbeat_recorded', state({ lastHeartbeatAt: iso(500) })));
  });

  it('a stale token, a closed session or a missed deadline is SESSION_CLOSED', () => {
    spec.given([opened]).when({ type: 'RecordHeartbeat', tokenHash: 'old' }, at(10)).thenFails('FAILED_PRECONDITION', 'SESSION_CLOSED');
    spec.given([]).when({ type: 'RecordHeartbeat', tokenHash: 'h1' }, at(10)).thenFails('FAILED_PRECONDITION', 'SESSION_CLOSED');
    spec.given([opened, ev('session.closed', state({ status: 'closed' }))]).when({ type: 'WriteCheckpoint', tokenHash: 'h1' }, at(10)).thenFails('FAILED_PRECONDITION', 'SESSION_CLOSED');
    spec.given([opened]).when({ type: 'RecordHeartbeat', tokenHash: 'h1' }, at(1000)).thenFails('FAILED_PRECONDITION', 'SESSION_CLOSED');
  });

  it('a checkpoint keeps state and turn and counts as a heartbeat', () => {
    spec
      .given([opened])
      .when({ type: 'WriteCheckpoint', tokenHash: 'h1', state: { step: 2 }, turn: 7 }, at(300))
      .then(ev('session.checkpointed', state({ lastHeartbeatAt: iso(300), lastCheckpoint: { state: { step: 2 }, turn: 7, at: iso(300) } })));
  });

  it('close writes a final checkpoint from the given or the last state', () => {
    const checkpointed = ev('session.checkpointed', state({ lastCheckpoint: { state: 'last', turn: 4, at: iso(10) }, lastHeartbeatAt: iso(10) }));
    spec
      .given([opened, checkpointed])
      .when({ type: 'CloseSession', tokenHash: 'h1' }, at(20))
      .then(ev('session.closed', state({ status: 'closed', lastHeartbeatAt: iso(10), lastCheckpoint: { state: 'last', turn: 4, at: iso(20) }, closedAt: iso(20), closeReason: 'closed by bot' })));
  });
});

describe('session decider - orphaning', () => {
  it('nothing happens before the heartbeat deadline', () => {
    spec.given([opened]).when({ type: 'OrphanSession', detectedBy: 'i1' }, at(999)).then(null);
  });

  it('checkpoint_and_close writes a final checkpoint from the last known state and records who and why', () => {
    const checkpointed = ev('session.checkpointed', state({ lastCheckpoint: { state: 'mid', turn: 2, at: iso(10) }, lastHeartbeatAt: iso(10) }));
    const event = sessionDecider.decide({ type: 'OrphanSession', detectedBy: 'i1' }, sessionDecider.evolve(sessionDecider.evolve(sessionDecider.initialState(), opened), checkpointed), at(1200));
    expect(event).toMatchObject({
      type: 'session.orphaned',
      data: { status: 'orphaned', detectedBy: 'i1', finalCheckpointWritten: true, lastCheckpoint: { state: 'mid', turn: 2, at: iso(1200) }, closedAt: iso(1200) },
    });
    expect((event!.data as SessionData).closeReason).toContain('no heartbeat for 1000 ms');
  });

  it('abort_quietly closes without a final checkpoint', () => {
    const quiet = ev('session.opened', state({ onOrphan: 'abort_quietly' }));
    const event = sessionDecider.decide({ type: 'OrphanSession', detectedBy: 'i2' }, sessionDecider.evolve(sessionDecider.initialState(), quiet), at(1500));
    expect(event).toMatchObject({ type: 'session.orphaned', data: { finalCheckpointWritten: false, lastCheckpoint: null } });
  });

  it('an orphaned or closed session is not orphaned twice', () => {
    const orphaned = sessionDecider.decide({ type: 'OrphanSession', detectedBy: 'i1' }, sessionDecider.evolve(sessionDecider.initialState(), opened), at(2000))!;
    spec.given([opened, orphaned]).when({ type: 'OrphanSession', detectedBy: 'i2' }, at(3000)).then(null);
  });
});
