import type { MemsidecarConfig } from '@memsidecar/config';
import { ProjectionErrors } from '@memsidecar/projections';
import { BLOCKS, projectionRunners } from '@memsidecar/platform';
import { UsageError, optionalOption, type ParsedArgs } from '../args';
import { openBoth, quiet } from './projections';

/** `memctl projections errors [--all] [--json]`: the events read models stopped at (with --all, also resolved and skipped ones). */
export async function errors(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const { log, db } = await openBoth(config);
  try {
    const rows = await new ProjectionErrors(db).list({ all: args.options.has('all') });
    if (args.options.has('json')) {
      for (const row of rows) console.log(JSON.stringify(row));
      return;
    }
    if (rows.length === 0) {
      console.log('no read model is stopped at an event');
      return;
    }
    for (const r of rows) {
      console.log(`${r.name}  seq ${r.seq}  ${r.eventType}  ${r.status}  attempts ${r.attempts}  since ${r.firstFailedAt}${r.resolvedAt ? `  resolved ${r.resolvedAt}` : ''}`);
      console.log(`    ${r.error}`);
    }
  } finally {
    await db.close();
    await log.close();
  }
}

/**
 * `memctl projections retry|skip READ_MODEL [--seq N]`: asks every instance to apply the stopped-at
 * event again, or to move the read model's checkpoint past it without applying it (kept on record).
 */
export async function resolveErrors(action: 'retry' | 'skip', config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const name = args.words[2];
  if (!name) throw new UsageError(`memctl projections ${action} READ_MODEL [--seq N]`);
  const seqText = optionalOption(args, 'seq');
  const seq = seqText === undefined ? undefined : Number(seqText);
  if (seq !== undefined && !(Number.isSafeInteger(seq) && seq > 0)) throw new UsageError('--seq must be a positive integer');
  const { log, db } = await openBoth(config);
  try {
    const known = projectionRunners(BLOCKS, log, db, quiet).map((r) => r.name);
    if (!known.includes(name)) throw new UsageError(`unknown read model ${name}; one of: ${known.join(', ')}`);
    const count = await new ProjectionErrors(db).request(action, name, seq);
    console.log(
      count === 0
        ? `${name}: no stopped-at event${seq ? ` at seq ${seq}` : ''}`
        : `${name}: ${action} requested for ${count} event(s); running instances act on it within a second (see memctl projections errors --all)`,
    );
    if (count === 0) process.exitCode = 1;
  } finally {
    await db.close();
    await log.close();
  }
}
