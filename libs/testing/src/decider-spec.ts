import { isMemError, type CommandMeta, type Decider, type DomainEvent, type ErrorCode } from '@memsidecar/core';

export interface DeciderSpec<S, C, E extends DomainEvent> {
  given(events: E[]): {
    when(command: C, meta: CommandMeta): {
      then(expected: E | null): void;
      thenFails(code: ErrorCode, reason?: string): void;
    };
  };
}

/** given(events) / when(command) / then(event or error), over a pure decider. */
export function deciderSpec<S, C, E extends DomainEvent>(decider: Decider<S, C, E>, expect: (actual: unknown) => { toEqual(v: unknown): void }): DeciderSpec<S, C, E> {
  return {
    given: (events) => ({
      when: (command, meta) => {
        const state = events.reduce(decider.evolve, decider.initialState());
        const run = () => decider.decide(command, state, meta);
        return {
          then: (expected) => expect(run()).toEqual(expected),
          thenFails: (code, reason) => {
            let error: unknown;
            try {
              run();
            } catch (e) {
              error = e;
            }
            if (!isMemError(error)) throw new Error(`expected ${code}, but the command was accepted`);
            expect({ code: error.code, reason: error.reason }).toEqual({ code, reason });
          },
        };
      },
    }),
  };
}
