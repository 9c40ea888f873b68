/**
 * `npm run chaos [scenario...]`: fault injection against real processes on loopback (nats-server,
 * Postgres, the service), one scenario after another; a summary table at the end and a non-zero
 * exit when any scenario failed. `CHAOS_SERVICE_DIR` picks the checkout whose service is started.
 * Not part of `npm test`.
 */
import { printResult, printSummary, type ScenarioResult } from './harness/report';
import { Proc, serviceDir } from './harness/procs';
import { clusterLeaderKill } from './scenarios/cluster-leader-kill';
import { natsKill } from './scenarios/nats-kill';
import { postgresKill } from './scenarios/postgres-kill';
import { serviceKill } from './scenarios/service-kill';
import { sigterm } from './scenarios/sigterm';
import { stalledTail } from './scenarios/stalled-tail';
import { twoInstances } from './scenarios/two-instances';

const SCENARIOS: Record<string, () => Promise<ScenarioResult>> = {
  'service-kill': serviceKill,
  'nats-kill': natsKill,
  'postgres-kill': postgresKill,
  'cluster-leader-kill': clusterLeaderKill,
  'two-instances': twoInstances,
  'stalled-tail': stalledTail,
  sigterm,
};

/** The whole run is bounded: past this, what finished is summarised and the run fails. */
const RUN_LIMIT_MS = 14 * 60_000;

const results: ScenarioResult[] = [];

async function main(): Promise<void> {
  process.on('exit', () => Proc.killAllSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  setTimeout(() => {
    console.error(`\nchaos: the run exceeded ${RUN_LIMIT_MS / 60_000} minutes; stopping`);
    printSummary(results);
    process.exit(3);
  }, RUN_LIMIT_MS).unref();
  const wanted = process.argv.slice(2);
  for (const name of wanted) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}; have ${Object.keys(SCENARIOS).join(', ')}`);
  const names = wanted.length ? wanted : Object.keys(SCENARIOS);
  console.log(`chaos: service from ${serviceDir()}; scenarios: ${names.join(', ')}`);
  for (const name of names) {
    console.log(`\n-- ${name} …`);
    const result = await SCENARIOS[name]();
    printResult(result);
    results.push(result);
  }
  printSummary(results);
  const failed = results.filter((r) => r.failures.length > 0).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
