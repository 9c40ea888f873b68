import type { MemsidecarConfig } from '@memsidecar/config';
import { isMemError, type CommandMeta } from '@memsidecar/core';
import { validateInput } from '@memsidecar/api';
import { DEFAULT_NS, FactsRevertInput, revertFact } from '@memsidecar/facts';
import { KvRevertInput, revertKey } from '@memsidecar/kv';
import { SemanticRevertInput, revertRecord } from '@memsidecar/semantic';
import { UsageError, optionalOption, requiredOption, type ParsedArgs } from '../args';
import { withLog, withReadModels } from './revert-runtime';

const NUMERIC = new Set(['to-seq', 'if-version']);

/**
 * The options as the operation's body, checked by the operation's own validation (a missing one is
 * named too); `options` maps each option to the field it sets, so a bad value is named as typed.
 */
function inputOf<I extends object>(args: ParsedArgs, input: new () => I, options: Record<string, keyof I>): I {
  const body: Record<string, unknown> = {};
  for (const option of Object.keys(options)) {
    const value = optionalOption(args, option);
    if (value === undefined) continue;
    if (NUMERIC.has(option) && !/^\d+$/.test(value)) throw new UsageError(`--${option}: must be a whole number`);
    body[options[option] as string] = NUMERIC.has(option) ? Number(value) : value;
  }
  try {
    return validateInput(input, body);
  } catch (e) {
    if (!isMemError(e)) throw e;
    const option = Object.keys(options).find((o) => options[o] === e.details?.field) ?? String(e.details?.field);
    throw new UsageError(`--${option}: ${e.message.slice(e.message.indexOf(': ') + 2)}`);
  }
}

/** One `memctl revert <block>`: its options, and the function its operation runs. */
interface RevertCommand<I extends object, R extends { seq?: number }> {
  input: new () => I;
  options: Record<string, keyof I>;
  run(tenant: string, input: I, config: MemsidecarConfig, meta: CommandMeta): Promise<R>;
  /** What the entity is now, for a person. */
  describe(tenant: string, input: I, result: R): string;
}

function revertCommand<I extends object, R extends { seq?: number }>(c: RevertCommand<I, R>) {
  return async (config: MemsidecarConfig, args: ParsedArgs): Promise<void> => {
    const tenant = requiredOption(args, 'tenant');
    const input = inputOf(args, c.input, c.options);
    const result = await c.run(tenant, input, config, { now: new Date(), tenant, agent: 'memctl', transport: 'memctl' });
    if (args.options.get('json') === true) return console.log(JSON.stringify(result));
    console.log(`${c.describe(tenant, input, result)}${result.seq === undefined ? ' (it already was; nothing appended)' : ` (seq ${result.seq})`}`);
  };
}

const COMMANDS = {
  kv: revertCommand({
    input: KvRevertInput,
    options: { ns: 'ns', key: 'key', 'to-seq': 'toSeq', 'if-version': 'ifVersion' },
    run: (tenant, i, config, meta) => withLog(config, ({ runtime, store }) => revertKey(runtime, store, { tenant, ns: i.ns, entity: i.key }, i, meta)),
    describe: (tenant, i, r) => `kv ${tenant}/${i.ns}/${i.key}: ${r.restored === 'value' ? `the value of seq ${r.fromSeq}, now version ${r.version}` : 'absent'}`,
  }),
  semantic: revertCommand({
    input: SemanticRevertInput,
    options: { ns: 'ns', id: 'id', 'to-seq': 'toSeq' },
    run: (tenant, i, config, meta) => withReadModels(config, (deps) => revertRecord(deps, { tenant, ns: i.ns }, i, meta)),
    describe: (tenant, i, r) => `semantic ${tenant}/${i.ns}/${i.id}: ${r.restored === 'record' ? `the record of seq ${r.fromSeq}, now version ${r.version}` : 'absent'}`,
  }),
  facts: revertCommand({
    input: FactsRevertInput,
    options: { ns: 'ns', id: 'id', 'to-seq': 'toSeq' },
    run: (tenant, i, config, meta) => withReadModels(config, (deps) => revertFact(deps, { tenant, ns: i.ns ?? DEFAULT_NS }, i, meta)),
    describe: (tenant, i, r) => `facts ${tenant}/${i.ns ?? DEFAULT_NS}/${i.id}: ${r.restored === 'fact' ? `${r.line} (${r.tier}) as of seq ${r.fromSeq}` : 'absent'}`,
  }),
};

/**
 * `memctl revert kv|semantic|facts ...`: restores one entry to what it was at a log sequence by
 * appending a new event, exactly as the block's `revert` operation does (the same function), under
 * the same optimistic concurrency as any instance. kv needs the log alone, so the service may run
 * or not; semantic and facts decide on their read models, so on PGlite the service must be stopped.
 */
export function revert(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  return COMMANDS[args.words[1] as keyof typeof COMMANDS](config, args);
}
