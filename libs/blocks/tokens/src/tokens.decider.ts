import { assertNever, type Decider } from '@memsidecar/core';
import type { TokenEvent, TokenIssued, TokenIssuedData, TokenRevoked } from './tokens.events';

//////////////////////////////////////// Commands

export interface RecordIssuance {
  type: 'RecordIssuance';
  issued: TokenIssuedData;
}

export interface RevokeToken {
  type: 'RevokeToken';
  tokenId: string;
  reason: string;
}

export type TokenCommand = RecordIssuance | RevokeToken;

//////////////////////////////////////// State

/**
 * One token id's record of one kind. Issuance and revocation are separate aggregates (subjects
 * `…issued.<id>` and `…tokens.<id>`), so a token can be revoked without ever being recorded as
 * issued (issued elsewhere, or before issuance was recorded); each holds at most one event.
 */
export interface TokenState {
  issued: boolean;
  revoked: boolean;
}

export const initialTokenState = (): TokenState => ({ issued: false, revoked: false });

//////////////////////////////////////// Decisions

/**
 * A token id is issued once: a second issuance changes nothing (the caller refuses it, since a
 * revocation by id would hit both). Revoking an id never recorded as issued is recorded; revoking
 * one already revoked changes nothing.
 */
export const tokenDecider: Decider<TokenState, TokenCommand, TokenEvent> = {
  initialState: initialTokenState,
  decide(command, state): TokenEvent | null {
    switch (command.type) {
      case 'RecordIssuance': {
        if (state.issued) return null;
        // Field by field, so nothing else a caller's object carries can reach the log.
        const { tokenId, tenant, agent, namespaces, ops, issuedAt, expiresAt } = command.issued;
        return { type: 'auth.token_issued', v: 1, data: { tokenId, tenant, agent, namespaces, ops, issuedAt, expiresAt } } satisfies TokenIssued;
      }
      case 'RevokeToken':
        if (state.revoked) return null;
        return { type: 'auth.token_revoked', v: 1, data: { tokenId: command.tokenId, reason: command.reason } } satisfies TokenRevoked;
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'auth.token_issued':
        return { ...state, issued: true };
      case 'auth.token_revoked':
        return { ...state, revoked: true };
      default:
        return assertNever(event);
    }
  },
};
