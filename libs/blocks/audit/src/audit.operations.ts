import { MemError, invalidArgument } from '@memsidecar/core';
import { commandMeta, defaultWithinCap, operation, type BlockDependencies, type Operation } from '@memsidecar/api';
import { AuditEraseInput, AuditQueryInput } from './audit.dto';
import type { AuditEraseResult, AuditQueryResult } from './audit.replies';
import { AuditQueries } from './audit.queries';

/**
 * Namespace checked against the token: `audit/<ns>` when the query names one; without one it
 * spans every namespace of the tenant, so the token must cover `audit/*`.
 */
const EVERY_NAMESPACE = '*';

export function auditOperations(deps: BlockDependencies): Operation[] {
  const queries = new AuditQueries(deps.db, deps.store);
  return [
    operation<AuditQueryInput, AuditQueryResult>('audit', 'query', {
      mutation: false,
      input: AuditQueryInput,
      scope: 'audit.read',
      namespace: (i) => i.ns ?? EVERY_NAMESPACE,
      async handle(i, ctx) {
        const max = deps.limits.maxListLimit;
        if (i.limit !== undefined && i.limit > max) throw invalidArgument('limit', `must not be greater than ${max}`);
        await deps.readModels.ready('audit', i.minSeq);
        const limit = i.limit ?? defaultWithinCap(ctx, 'limit', deps.limits.defaultListLimit);
        const { fromSeq, since, until, block, ns, agent, sessionId, types } = i;
        // The tenant is the token's; token records (block auth) belong to no caller.
        const filter = { tenant: ctx.principal.tenant, includeTokenRecords: false, fromSeq, since, until, block, ns, agent, sessionId, types };
        return queries.page(filter, limit);
      },
    }),
    // Checked against `audit/<ns>`, or `audit/*` for the whole tenant, like a query of it.
    operation<AuditEraseInput, AuditEraseResult>('audit', 'erase', {
      mutation: true,
      input: AuditEraseInput,
      namespace: (i) => i.subject.ns ?? EVERY_NAMESPACE,
      async handle(i, ctx) {
        const { tenant, ns } = i.subject;
        if (tenant !== ctx.principal.tenant) throw new MemError('PERMISSION_DENIED', 'subject.tenant: a token erases its own tenant only', undefined, { field: 'subject.tenant' });
        return deps.erasure.erase(ns === undefined ? { tenant } : { tenant, ns }, commandMeta(ctx));
      },
    }),
  ];
}
