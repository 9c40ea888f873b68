import { assertNever, type Decider } from '@memsidecar/core';
import type { FactsEvent } from './facts.events';
import { decideRevert, type RevertFact, type RevertView } from './revert-decision';
import { decideTick, type Tick, type TickView } from './tick-decision';
import { decideWrite, pressureAfter, type WriteFact, type WriteView } from './write-decision';

/**
 * Commands of one namespace's fact store. Everything a decision needs is looked up in the read
 * model (inside the aggregate's mailbox, at the sequence the append will expect) and attached.
 */
export type FactsCommand =
  | (WriteFact & { view?: WriteView })
  | (Tick & { view?: TickView })
  | (RevertFact & { view?: RevertView })
  | { type: 'RecordAccess'; ids: string[] }
  | { type: 'Purge'; ids?: string[] };

/** The store itself lives in the read model; the aggregate only orders the changes. */
export type FactsState = Record<string, never>;

export const factsDecider: Decider<FactsState, FactsCommand, FactsEvent> = {
  initialState: () => ({}),
  decide(command, _state, meta) {
    switch (command.type) {
      case 'WriteFact': {
        const outcome = decideWrite(command, command.view!, meta.now);
        if (outcome.kind === 'duplicate') return null;
        return {
          type: 'facts.fact_written',
          v: 1,
          data: { ...outcome.data, truncated: command.parsed.truncated, pressure: pressureAfter(command.view!, outcome.data) },
        };
      }
      case 'Tick':
        return { type: 'facts.ticked', v: 1, data: { ...decideTick(command, command.view!), turn: command.turn } };
      case 'RevertFact':
        return decideRevert(command, command.view!);
      case 'RecordAccess':
        return command.ids.length ? { type: 'facts.accessed', v: 1, data: { ids: command.ids, at: meta.now.toISOString() } } : null;
      case 'Purge':
        return command.ids?.length ? { type: 'facts.purged', v: 1, data: { ids: command.ids } } : null;
      default:
        return assertNever(command);
    }
  },
  evolve: (state) => state,
};
