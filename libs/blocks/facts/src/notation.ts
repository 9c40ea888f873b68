import { invalidArgument } from '@memsidecar/core';

/** MEMORY_SPEC v1 types: constraint, decision, value, unknown, done, obsolete. */
export const FACT_TYPES = ['C', 'D', 'V', '?', '✓', '~'] as const;
/** `C` constraint, `D` decision, `V` value, `?` unknown, `✓` done, `~` obsolete. */
export type FactType = (typeof FACT_TYPES)[number];

export interface ParsedFact {
  type: FactType;
  target: string;
  content: string;
  /** True when the content was cut to the configured length. */
  truncated: boolean;
}

export const EXPECTED_FORM = 'expected one line "T[target]: content" with T one of C D V ? ✓ ~ (e.g. "D[auth]: JWT, 7 day refresh")';

/** One type symbol, a bracketed target, a colon, then content — all on a single line. */
const FACT_LINE = /^([CDV?✓~])\[([^\]\n\r]+)\]:[ \t]*([^\n\r]+)$/u;

export const DEFAULT_MAX_FACT_CHARS = 400;

/** Parses one notation line; anything else is INVALID_ARGUMENT naming the expected form. */
export function parseFactLine(raw: string, maxChars = DEFAULT_MAX_FACT_CHARS, overLong: 'truncate' | 'reject' = 'truncate'): ParsedFact {
  const match = FACT_LINE.exec(raw.trim());
  const target = match?.[2].trim() ?? '';
  const content = match?.[3].trim() ?? '';
  if (!match || target === '' || content === '') throw invalidArgument('content', `${EXPECTED_FORM}; got ${JSON.stringify(raw.slice(0, 80))}`);
  const chars = [...content];
  const truncated = chars.length > maxChars;
  if (truncated && overLong === 'reject') throw invalidArgument('content', `is ${chars.length} characters, over the limit of ${maxChars}`);
  return { type: match[1] as FactType, target, content: truncated ? `${chars.slice(0, maxChars - 1).join('')}…` : content, truncated };
}

export const formatFact = (f: { type: FactType; target: string; content: string }): string => `${f.type}[${f.target}]: ${f.content}`;
