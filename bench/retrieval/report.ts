import { summarize, ms } from '../stats';
import type { Question } from './locomo';
import { CUTOFFS, categorySlices, meanOver, recallAt, type Scores } from './metrics';

export const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;
const COLUMN_WIDTH = 7;
const cell = (v: number): string => (v * 100).toFixed(1).padStart(COLUMN_WIDTH);

export interface ScoredMode {
  label: string;
  perQuestion: Scores[];
}

const LABEL_WIDTH = 28;

/** One block per slice (categories, then overall), one row per mode: any@k, all@k, recall@k in % of questions, MRR. */
export function printQualityTable(questions: readonly Question[], modes: readonly ScoredMode[]): void {
  const group = (name: string) => CUTOFFS.map((k) => `${name}@${k}`.padStart(COLUMN_WIDTH)).join('');
  console.log(`${''.padEnd(LABEL_WIDTH + 2)}${group('any')} │${group('all')} │${group('R')} │   MRR`);
  for (const slice of categorySlices(questions)) {
    console.log(`${slice.label} (${slice.members.length} questions)`);
    for (const mode of modes) {
      const s = meanOver(mode.perQuestion, slice.members);
      const cells = (values: number[]) => values.map(cell).join('');
      console.log(`  ${mode.label.padEnd(LABEL_WIDTH)}${cells(s.any)} │${cells(s.all)} │${cells(s.recall)} │ ${s.mrr.toFixed(3)}`);
    }
  }
}

/** Overall recall@10, then per category: the one figure to compare the modes by. */
export function printRecallSummary(questions: readonly Question[], modes: readonly ScoredMode[]): void {
  const slices = categorySlices(questions);
  for (const mode of modes) {
    const bySlice = slices.map((slice) => [slice.label, percent(recallAt(meanOver(mode.perQuestion, slice.members), 10))] as const);
    const overall = bySlice.pop()!;
    console.log(`  recall@10  ${mode.label.padEnd(LABEL_WIDTH)} overall ${overall[1].padStart(6)}   ${bySlice.map(([label, v]) => `${label} ${v.padStart(6)}`).join('  ')}`);
  }
}

/** p50/p95/p99 (stats.ts's summary has no p95; it is taken the same way, nearest rank below). */
export function latencyLine(label: string, samplesMs: readonly number[]): string {
  if (samplesMs.length === 0) return `  ${label.padEnd(8)} no cold searches`;
  const { p50, p99, count } = summarize([...samplesMs]);
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))];
  return `  ${label.padEnd(8)} p50 ${ms(p50).padStart(12)}  p95 ${ms(p95).padStart(12)}  p99 ${ms(p99).padStart(12)}  (${count} cold searches)`;
}
