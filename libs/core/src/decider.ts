import type { DomainEvent } from './envelope';
import type { TrustLabel } from './provenance';

/** Everything impure a decision may need, passed in by the command handler. */
export interface CommandMeta {
  now: Date;
  tenant: string;
  agent: string;
  tokenId?: string;
  sessionId?: string;
  requestId?: string;
  transport?: string;
  trust?: TrustLabel;
  derivedFrom?: number[];
}

/**
 * A block's write model as pure functions. `decide` returns the one event the command causes,
 * or null when it changes nothing; it throws a MemError when the command is refused.
 */
export interface Decider<State, Command, Event extends DomainEvent> {
  initialState(): State;
  decide(command: Command, state: State, meta: CommandMeta): Event | null;
  evolve(state: State, event: Event): State;
}

export const assertNever = (value: never): never => {
  throw new Error(`unhandled variant: ${JSON.stringify(value)}`);
};
