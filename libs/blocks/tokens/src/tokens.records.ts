import { aggregateSubject, newId, type EventEnvelope } from '@memsidecar/core';
import { ConcurrencyConflict, type EventLog } from '@memsidecar/event-store';
import { tokenDecider, type TokenCommand } from './tokens.decider';
import type { TokenIssuedData } from './tokens.events';

/** Token events are global (token ids are unique); they live under one pseudo-tenant. */
export const AUTH_TENANT = 'memsidecar';

/** The aggregate a command is decided against: issuances and revocations of one id sit on separate subjects. */
const namespaceOf = (command: TokenCommand): 'issued' | 'tokens' => (command.type === 'RecordIssuance' ? 'issued' : 'tokens');
const tokenIdOf = (command: TokenCommand): string => (command.type === 'RecordIssuance' ? command.issued.tokenId : command.tokenId);

/** Records a revocation in the log; false when the token was revoked before. */
export function revokeToken(store: EventLog, tokenId: string, reason: string, by: string): Promise<boolean> {
  return record(store, { type: 'RevokeToken', tokenId, reason }, by);
}

/**
 * Records what an issued token grants (never the token itself); false when a token with this id
 * was recorded before, since revocation by id would then hit both.
 */
export function recordTokenIssued(store: EventLog, issued: TokenIssuedData, by: string): Promise<boolean> {
  return record(store, { type: 'RecordIssuance', issued }, by);
}

/**
 * Each aggregate holds at most one event, so the command is decided against the empty state and
 * appended expecting sequence 0. A conflict means the aggregate has its event already, against
 * which the decider decides nothing: false, nothing appended.
 */
async function record(store: EventLog, command: TokenCommand, by: string, now = new Date()): Promise<boolean> {
  const event = tokenDecider.decide(command, tokenDecider.initialState(), { now, tenant: AUTH_TENANT, agent: by });
  if (!event) return false;
  const ns = namespaceOf(command);
  const tokenId = tokenIdOf(command);
  const envelope = {
    id: newId(),
    type: event.type,
    v: event.v,
    at: now.toISOString(),
    tenant: AUTH_TENANT,
    agent: by,
    block: 'auth',
    ns,
    entity: tokenId,
    data: event.data,
  } as EventEnvelope;
  try {
    await store.append(aggregateSubject(store.prefix, { block: 'auth', tenant: AUTH_TENANT, ns, entity: tokenId }), envelope, { expectedLastSubjectSeq: 0 });
    return true;
  } catch (e) {
    if (e instanceof ConcurrencyConflict) return false;
    throw e;
  }
}
