import { requestIdReused, MemError, invalidArgument, newId, type CommandMeta, type StoredEvent } from '@memsidecar/core';
import { commandMeta, operation, type BlockDependencies, type Operation, type RequestContext } from '@memsidecar/api';
import { releaseSessionLeases, type SessionEnd } from '@memsidecar/lease';
import type { SessionCommand } from './session.decider';
import type { SessionData, SessionEvent } from './session.events';
import { SessionCheckpointInput, SessionCloseInput, SessionGetInput, SessionHeartbeatInput, SessionOpenInput } from './session.dto';
import type { SessionCheckpointResult, SessionCloseResult, SessionHeartbeatResult, SessionOpenResult, SessionRecord } from './session.replies';
import { SESSION_NS, sessionAddress, sessionAggregate } from './session.aggregate';
import { SessionQueries, toWireSession } from './session.queries';
import { hashSessionToken, newSessionToken } from './session-token';

const DEFAULT_INTERVAL_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 25_000;
const TIMEOUT_MS_DEPRECATED = 'timeoutMs is deprecated: use heartbeatTimeoutMs (with heartbeatIntervalMs) instead';

const expiresAt = (d: SessionData) => new Date(Date.parse(d.lastHeartbeatAt) + d.heartbeatTimeoutMs).toISOString();

/** Resolves the heartbeat settings, honouring the deprecated `timeoutMs` with a warning. */
function heartbeatSettings(i: SessionOpenInput): { intervalMs: number; timeoutMs: number; warnings: string[] } {
  const warnings: string[] = [];
  if (i.timeoutMs !== undefined) {
    warnings.push(i.heartbeatTimeoutMs !== undefined ? `${TIMEOUT_MS_DEPRECATED}; heartbeatTimeoutMs was given and wins` : TIMEOUT_MS_DEPRECATED);
  }
  const intervalMs = i.heartbeatIntervalMs ?? DEFAULT_INTERVAL_MS;
  const timeoutMs = i.heartbeatTimeoutMs ?? i.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (timeoutMs <= intervalMs) {
    throw invalidArgument(i.heartbeatTimeoutMs === undefined && i.timeoutMs !== undefined ? 'timeoutMs' : 'heartbeatTimeoutMs', `must exceed heartbeatIntervalMs (${intervalMs})`);
  }
  return { intervalMs, timeoutMs, warnings };
}

/**
 * Releases the leases an ended session held, right away; a failure is logged: the session lease
 * releaser (a follower of the session events) does it again, with the same request ids, so what
 * is done here is not done twice and what is not done here is done there.
 */
export async function releaseLeasesOf(
  deps: BlockDependencies,
  tenant: string,
  sessionId: string,
  reason: 'session_closed' | 'session_orphaned',
  meta: CommandMeta,
  end: SessionEnd,
): Promise<number> {
  try {
    return await releaseSessionLeases(deps, tenant, sessionId, reason, meta, end);
  } catch (e) {
    deps.logger.error(`could not release the leases of session ${sessionId}: ${(e as Error).message}`);
    return 0;
  }
}

export function sessionOperations(deps: BlockDependencies): Operation[] {
  const queries = new SessionQueries(deps.db);
  const run = (ctx: RequestContext, sessionId: string, command: SessionCommand) =>
    deps.runtime.handle(sessionAggregate, sessionAddress(ctx.principal.tenant, sessionId), command, commandMeta(ctx));
  const data = (event: StoredEvent<SessionEvent> | null, type: SessionEvent['type']) => {
    if (!event || event.type !== type) throw requestIdReused();
    return event.data as SessionData;
  };
  const namespace = () => SESSION_NS;

  return [
    operation<SessionOpenInput, SessionOpenResult>('session', 'open', {
      mutation: true,
      input: SessionOpenInput,
      namespace,
      async handle(i, ctx) {
        const { intervalMs, timeoutMs, warnings } = heartbeatSettings(i);
        for (const w of warnings) deps.logger.warn(`session.open from agent ${ctx.principal.agent || '?'} (tenant ${ctx.principal.tenant}): ${w}`);
        const sessionId = i.sessionId ?? newId();
        const sessionToken = newSessionToken();
        const { event, replayed } = await run(ctx, sessionId, {
          type: 'OpenSession',
          tokenHash: hashSessionToken(sessionToken),
          parentSessionId: i.parentSessionId,
          agent: i.agent ?? ctx.principal.agent,
          heartbeatIntervalMs: intervalMs,
          heartbeatTimeoutMs: timeoutMs,
          onOrphan: i.onOrphan ?? 'checkpoint_and_close',
          metadata: i.metadata,
        });
        const d = data(event, 'session.opened');
        // A retried open cannot hand out the first token again (only its hash was kept).
        if (replayed) throw new MemError('FAILED_PRECONDITION', 'session.open was already applied for this Mem-Request-Id; open the session again', 'SESSION_CLOSED');
        return { sessionId, sessionToken, heartbeatIntervalMs: d.heartbeatIntervalMs, heartbeatTimeoutMs: d.heartbeatTimeoutMs, expiresAt: expiresAt(d), warnings, seq: event!.seq };
      },
    }),
    operation<SessionHeartbeatInput, SessionHeartbeatResult>('session', 'heartbeat', {
      mutation: true,
      input: SessionHeartbeatInput,
      namespace,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.sessionId, { type: 'RecordHeartbeat', tokenHash: hashSessionToken(i.sessionToken) });
        return { expiresAt: expiresAt(data(event, 'session.heartbeat_recorded')), seq: event!.seq };
      },
    }),
    operation<SessionCheckpointInput, SessionCheckpointResult>('session', 'checkpoint', {
      mutation: true,
      input: SessionCheckpointInput,
      namespace,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.sessionId, { type: 'WriteCheckpoint', tokenHash: hashSessionToken(i.sessionToken), state: i.state, turn: i.turn });
        data(event, 'session.checkpointed');
        return { seq: event!.seq };
      },
    }),
    operation<SessionCloseInput, SessionCloseResult>('session', 'close', {
      mutation: true,
      input: SessionCloseInput,
      namespace,
      async handle(i, ctx) {
        const { event } = await run(ctx, i.sessionId, { type: 'CloseSession', tokenHash: hashSessionToken(i.sessionToken), state: i.state });
        data(event, 'session.closed');
        // Also for a repeated request: the original close event names the same releases.
        const end = { eventId: event!.id, seq: event!.seq };
        const released = await releaseLeasesOf(deps, ctx.principal.tenant, i.sessionId, 'session_closed', { ...commandMeta(ctx), requestId: undefined }, end);
        return { closed: true, releasedLeases: released, seq: event!.seq };
      },
    }),
    operation<SessionGetInput, SessionRecord>('session', 'get', {
      mutation: false,
      input: SessionGetInput,
      namespace,
      async handle(i, ctx) {
        await deps.readModels.ready('session', i.minSeq);
        const row = await queries.get(ctx.principal.tenant, i.sessionId);
        if (!row) throw new MemError('NOT_FOUND', `session ${i.sessionId} does not exist`);
        return toWireSession(row);
      },
    }),
  ];
}
