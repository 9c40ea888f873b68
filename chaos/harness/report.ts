import { fmtMs } from './measure';

/** What one scenario measured; it passes when `failures` is empty. */
export interface ScenarioResult {
  name: string;
  acked: number | null;
  lost: number | null;
  duplicated: number | null;
  /** Unexpected exits of the service, described; empty when none. */
  crash: string;
  writeGapMs: number | null;
  readGapMs: number | null;
  /** Read models current after the fault was repaired. */
  currentMs: number | null;
  /** `/readyz`: unready after the fault / ready again after the repair. */
  readyz: string;
  /** Further measurements, one `label: value` per line. */
  lines: string[];
  failures: string[];
  durationMs: number;
}

export const emptyResult = (name: string): ScenarioResult => ({
  name,
  acked: null,
  lost: null,
  duplicated: null,
  crash: '',
  writeGapMs: null,
  readGapMs: null,
  currentMs: null,
  readyz: '—',
  lines: [],
  failures: [],
  durationMs: 0,
});

const n = (v: number | null): string => (v === null ? '—' : String(v));

export function printResult(r: ScenarioResult): void {
  const verdict = r.failures.length === 0 ? 'PASS' : 'FAIL';
  console.log(`\n== ${r.name}: ${verdict} (${(r.durationMs / 1000).toFixed(0)} s)`);
  console.log(
    `   acked ${n(r.acked)}, lost ${n(r.lost)}, applied twice ${n(r.duplicated)}, crash ${r.crash || 'no'}, ` +
      `write unavailability ${fmtMs(r.writeGapMs)}, read unavailability ${fmtMs(r.readGapMs)}, read models current after ${fmtMs(r.currentMs)}, readyz ${r.readyz}`,
  );
  for (const l of r.lines) console.log(`   ${l}`);
  for (const f of r.failures) console.log(`   FAIL: ${f}`);
}

export function printSummary(results: ScenarioResult[]): void {
  const header = ['scenario', 'acked', 'lost', 'dup', 'crash', 'write gap', 'read gap', 'current after', 'readyz (unready / ready)', 'result'];
  const rows = results.map((r) => [
    r.name,
    n(r.acked),
    n(r.lost),
    n(r.duplicated),
    r.crash ? 'YES' : 'no',
    fmtMs(r.writeGapMs),
    fmtMs(r.readGapMs),
    fmtMs(r.currentMs),
    r.readyz,
    r.failures.length === 0 ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log('\n' + line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
}
