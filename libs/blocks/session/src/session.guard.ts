import { MemError, failedPrecondition } from '@memsidecar/core';
import type { BlockDependencies, SessionGuard } from '@memsidecar/api';
import { SessionQueries } from './session.queries';
import { hashSessionToken } from './session-token';

/** A request that names a session must carry that session's current token, and the session must be open. */
export function sessionGuard(deps: BlockDependencies): SessionGuard {
  const queries = new SessionQueries(deps.db);
  return {
    async verify(tenant, sessionId, sessionToken) {
      if (!sessionToken) {
        throw new MemError('INVALID_ARGUMENT', 'Mem-Session-Token: required with Mem-Session-Id', undefined, { field: 'Mem-Session-Token' });
      }
      await deps.readModels.ready('session');
      const row = await queries.get(tenant, sessionId);
      if (!row) throw failedPrecondition('SESSION_CLOSED', `session ${sessionId} does not exist`);
      if (row.status !== 'open') throw failedPrecondition('SESSION_CLOSED', `session ${sessionId} is ${row.status}`);
      if (row.token_hash !== hashSessionToken(sessionToken)) throw failedPrecondition('SESSION_CLOSED', 'session token is stale: the session was opened again');
      if (row.deadline_at.getTime() <= deps.clock.now().getTime()) throw failedPrecondition('SESSION_CLOSED', `session ${sessionId} missed its heartbeat timeout`);
    },
  };
}
