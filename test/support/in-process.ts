import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createTestDatabase, inProcessService, type InProcessOptions, type InProcessService, type TestDatabase } from '@memsidecar/testing';

/** Where the read models of an in-process spec live: PGlite in memory (unit tier) or a fresh database on the system Postgres (int tier). */
export type InProcessDatabase = 'pglite' | 'postgres';

/** A block's in-process cases, written once and declared on each database; `svc()` is the running service. */
export type InProcessCases = (svc: () => InProcessService) => void;

/**
 * Declares `cases` against one in-process service on `database`, started before them and closed
 * (its database dropped) after them. No case may end in an error outside the contract.
 */
export function describeInProcess(title: string, database: InProcessDatabase, options: Omit<InProcessOptions, 'databaseUrl'>, cases: InProcessCases): void {
  describe(`${title} - in process on ${database}`, () => {
    let svc: InProcessService | undefined;
    let pg: TestDatabase | undefined;
    beforeAll(async () => {
      pg = database === 'postgres' ? await createTestDatabase() : undefined;
      svc = await inProcessService({ ...options, databaseUrl: pg?.url });
    });
    afterAll(async () => {
      const errors = svc?.internalErrors ?? [];
      await svc?.close();
      await pg?.drop();
      expect(errors).toEqual([]);
    });
    cases(() => {
      if (!svc) throw new Error('the in-process service did not start');
      return svc;
    });
  });
}
