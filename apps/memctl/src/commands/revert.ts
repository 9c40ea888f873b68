import type { MemsidecarConfig } from '@memsidecar/config';
import { isMemError } from '@memsidecar/core';
import { validateInput } from '@memsidecar/api';
import { AggregateRuntime } from '@memsidecar/event-store';
import { KvRevertInput, revertKey } from '@memsidecar/kv';
import { NatsLog } from '@memsidecar/platform';
import { UsageError, optionalOption, requiredOption, type ParsedArgs } from '../args';
import { quiet } from './projections';

/** Each option and the field of `kv.revert` it sets, so a bad value is named as the operator typed it. */
const OPTIONS: Record<string, keyof KvRevertInput> = { ns: 'ns', key: 'key', 'to-seq': 'toSeq', 'if-version': 'ifVersion' };
const NUMERIC = new Set(['to-seq', 'if-version']);

/** The options as a `kv.revert` body, checked by the operation's own validation (a missing one is named too). */
function inputOf(args: ParsedArgs): KvRevertInput {
  const body: Record<string, unknown> = {};
  for (const option of Object.keys(OPTIONS)) {
    const value = optionalOption(args, option);
    if (value === undefined) continue;
    if (NUMERIC.has(option) && !/^\d+$/.test(value)) throw new UsageError(`--${option}: must be a whole number`);
    body[OPTIONS[option]] = NUMERIC.has(option) ? Number(value) : value;
  }
  try {
    return validateInput(KvRevertInput, body);
  } catch (e) {
    if (!isMemError(e)) throw e;
    const option = Object.keys(OPTIONS).find((o) => OPTIONS[o] === e.details?.field) ?? String(e.details?.field);
    throw new UsageError(`--${option}: ${e.message.slice(e.message.indexOf(': ') + 2)}`);
  }
}

/**
 * `memctl revert kv --tenant T --ns N --key K --to-seq S [--if-version V] [--json]`: restores a key
 * to what it held at a log sequence by appending a new event, exactly as `kv.revert` does. It
 * appends to the log itself under the same optimistic concurrency as any instance, so it works
 * whether the service runs or not (a running service applies the event like its own).
 */
export async function revert(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const tenant = requiredOption(args, 'tenant');
  const input = inputOf(args);
  const log = await NatsLog.open(config, quiet, { joinRunning: true });
  try {
    const runtime = new AggregateRuntime(log.store, { find: async () => null }, { prefix: config.subjectPrefix, cachedAggregates: 1, conflictRetries: 20, rememberedRequests: 1 });
    const result = await revertKey(runtime, log.store, { tenant, ns: input.ns, entity: input.key }, input, { now: new Date(), tenant, agent: 'memctl', transport: 'memctl' });
    if (args.options.get('json') === true) return console.log(JSON.stringify(result));
    const what = result.restored === 'value' ? `the value of seq ${result.fromSeq}, now version ${result.version}` : 'absent';
    console.log(`kv ${tenant}/${input.ns}/${input.key}: ${what}${result.seq === undefined ? ' (it already was; nothing appended)' : ` (seq ${result.seq})`}`);
  } finally {
    await log.close();
  }
}
