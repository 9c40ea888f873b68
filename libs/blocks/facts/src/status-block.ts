import type { PressureLevel } from './facts.model';
import { formatFact } from './notation';
import type { FactHit } from './facts.queries';

type Encoder = { encode(text: string): number[] };
let encoder: Encoder | null = null;

/** Tokens as an OpenAI-style model counts them (cl100k_base, shipped inside `js-tiktoken`). */
export function countTokens(text: string): number {
  encoder ??= (require('js-tiktoken') as { getEncoding(name: string): Encoder }).getEncoding('cl100k_base');
  return encoder.encode(text).length;
}

const LEGEND = '[MEMORY_SPEC v1] C=constraint D=decision V=value ?=unknown ✓=done ~=obsolete';
const SHORT_LEGEND = '[MEMORY_SPEC v1]';

/**
 * The block to inject into a system prompt: legend, gauge, as many hot facts as fit, and "+N more"
 * for the rest — never more than `budget` tokens.
 */
export function statusBlock(hot: FactHit[], pressure: { pct: number; level: PressureLevel }, cold: number, budget: number): { block: string; tokens: number; shown: number } {
  const gaugeLine = `[MEMORY ${pressure.pct}% ${pressure.level}] hot ${hot.length} · cold ${cold}`;
  const lines = [countTokens(`${LEGEND}\n${gaugeLine}`) <= budget ? LEGEND : SHORT_LEGEND, gaugeLine];
  let shown = 0;
  for (const fact of hot) {
    const rest = hot.length - shown - 1;
    const candidate = [...lines, formatFact(fact), ...(rest > 0 ? [`+${rest} more (facts.search)`] : [])].join('\n');
    if (countTokens(candidate) > budget) break;
    lines.push(formatFact(fact));
    shown++;
  }
  if (shown < hot.length) lines.push(`+${hot.length - shown} more (facts.search)`);
  let block = lines.join('\n');
  // A budget too small even for the header gets what fits of it.
  while (countTokens(block) > budget && block.length > 0) block = block.slice(0, Math.floor(block.length * 0.9));
  return { block, tokens: countTokens(block), shown };
}
