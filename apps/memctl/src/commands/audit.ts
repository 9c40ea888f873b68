import type { MemsidecarConfig } from '@memsidecar/config';
import { isMemError, type StoredEvent } from '@memsidecar/core';
import { validateInput } from '@memsidecar/api';
import { AuditQueries, AuditQueryInput, auditProjection, sessionOf } from '@memsidecar/audit';
import { ProjectionRunner } from '@memsidecar/projections';
import { UsageError, csv, optionalOption, type ParsedArgs } from '../args';
import { formatTable } from '../table';
import { openBoth, quiet } from './projections';

/** Each option and the field of `audit.query` it sets, so a bad value is named as the operator typed it. */
const FIELDS: Record<string, keyof AuditQueryInput> = {
  agent: 'agent',
  session: 'sessionId',
  block: 'block',
  ns: 'ns',
  since: 'since',
  until: 'until',
  'from-seq': 'fromSeq',
  types: 'types',
  limit: 'limit',
};
const NUMERIC = new Set(['from-seq', 'limit']);

/** The options as an `audit.query` body, checked by the operation's own validation. */
function queryOf(args: ParsedArgs, maxLimit: number): AuditQueryInput {
  const body: Record<string, unknown> = {};
  for (const [option, field] of Object.entries(FIELDS)) {
    const value = optionalOption(args, option);
    if (value === undefined) continue;
    if (NUMERIC.has(option) && !/^\d+$/.test(value)) throw new UsageError(`--${option}: must be a whole number`);
    body[field] = NUMERIC.has(option) ? Number(value) : option === 'types' ? csv(value) : value;
  }
  try {
    const input = validateInput(AuditQueryInput, body);
    if ((input.limit ?? 0) > maxLimit) throw new UsageError(`--limit: must not be greater than ${maxLimit}`);
    return input;
  } catch (e) {
    if (!isMemError(e)) throw e;
    const field = String(e.details?.field ?? '');
    const option = Object.keys(FIELDS).find((o) => field === FIELDS[o] || field.startsWith(`${FIELDS[o]}[`)) ?? field;
    throw new UsageError(`--${option}: ${e.message.slice(e.message.indexOf(': ') + 2)}`);
  }
}

const row = (e: StoredEvent): string[] => [String(e.seq), e.at, e.tenant, e.agent, e.type, `${e.block}/${e.ns}/${e.entity}`, sessionOf(e) ?? '-'];

/**
 * `memctl audit [--tenant T] [--agent A] [--session S] [--block B] [--ns N] [--since T] [--until T]
 * [--from-seq N] [--types a,b] [--limit N] [--json]`: the audit read model, read directly. Without
 * `--tenant` every tenant, token records included: this is the operator's view, not a caller's.
 */
export async function audit(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const tenant = optionalOption(args, 'tenant');
  const { fromSeq, since, until, block, ns, agent, sessionId, types, limit } = queryOf(args, config.limits.maxListLimit);
  const filter = { tenant, includeTokenRecords: true, fromSeq, since, until, block, ns, agent, sessionId, types };
  const { log, db } = await openBoth(config);
  try {
    const runner = new ProjectionRunner(auditProjection, log.store, db, quiet);
    const [applied, last] = [await runner.checkpoint(), await log.store.lastSeq(runner.filter)];
    if (applied < last) console.error(`note: the audit read model holds the log up to seq ${applied} of ${last}; a running service brings it up to date`);
    const page = await new AuditQueries(db, log.store).page(filter, limit ?? config.limits.defaultListLimit);
    if (args.options.has('json')) {
      for (const e of page.events) console.log(JSON.stringify(e));
    } else {
      console.log(formatTable(['SEQ', 'AT', 'TENANT', 'AGENT', 'TYPE', 'BLOCK/NS/ENTITY', 'SESSION'], page.events.map(row)));
    }
    if (page.nextSeq !== null) console.error(`more events follow: --from-seq ${page.nextSeq}`);
  } finally {
    await db.close();
    await log.close();
  }
}
