import type { AggregateType } from '@memsidecar/event-store';
import { sessionDecider, type SessionCommand, type SessionState } from './session.decider';
import type { SessionEvent } from './session.events';

/** Sessions are not namespaced: every session of a tenant lives under this one. */
export const SESSION_NS = 'default';

export const sessionAggregate: AggregateType<SessionState, SessionCommand, SessionEvent> = {
  block: 'session',
  decider: sessionDecider,
  history: 'last-event',
};

export const sessionAddress = (tenant: string, sessionId: string) => ({ tenant, ns: SESSION_NS, entity: sessionId });
