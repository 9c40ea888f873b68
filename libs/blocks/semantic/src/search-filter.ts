import { invalidArgument } from '@memsidecar/core';
import type { PredicateDto } from './semantic.dto';
import type { MetadataValue } from './semantic.events';

export interface SearchFilter {
  tenant: string;
  ns: string;
  /** Exact match, types kept: `{"n": 5}` matches the number 5, not the string "5". */
  filter?: Record<string, MetadataValue>;
  predicates?: PredicateDto[];
  createdAfter?: Date;
  createdBefore?: Date;
  /** Validity is judged at this time; null disables the lifecycle filter (includeInvalidated). */
  validAt: Date | null;
  /** True for the present (`asOf` absent): soft-deleted records are out whenever they were deleted. */
  present: boolean;
}

const NUMERIC = `'^\\s*-?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?\\s*$'`;
const isScalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * The WHERE clause every search lane shares; each value is a parameter appended to `params`.
 * Numeric comparisons on values that are not numbers simply do not match.
 */
export function whereClause(f: SearchFilter, params: unknown[]): string {
  const add = (value: unknown) => `$${params.push(value)}`;
  const parts = [`tenant = ${add(f.tenant)}`, `ns = ${add(f.ns)}`];
  if (f.filter && Object.keys(f.filter).length) parts.push(`metadata @> ${add(JSON.stringify(f.filter))}::jsonb`);
  (f.predicates ?? []).forEach((p, i) => parts.push(predicateSql(p, i, add)));
  if (f.createdAfter) parts.push(`created_at > ${add(f.createdAfter)}`);
  if (f.createdBefore) parts.push(`created_at < ${add(f.createdBefore)}`);
  if (f.validAt) {
    const t = add(f.validAt);
    parts.push(f.present ? 'deleted_at IS NULL' : `(deleted_at IS NULL OR deleted_at > ${t})`);
    parts.push(`valid_from <= ${t} AND (valid_to IS NULL OR valid_to > ${t})`);
  }
  return parts.join(' AND ');
}

/**
 * `eq`, `neq` and `in` compare JSON values, so types count (numbers by value: 5 equals 5.0).
 * `gt`..`lte` compare numbers as numbers; a string that reads as a number takes part too, as
 * metadata written before values could be numbers held them as strings.
 */
function predicateSql(p: PredicateDto, i: number, add: (v: unknown) => string): string {
  const field = add(p.field);
  const bad = (problem: string) => invalidArgument(`predicates[${i}].value`, problem);
  switch (p.op) {
    case 'eq':
    case 'neq':
      if (!isScalar(p.value)) throw bad(`must be a string, finite number or boolean for ${p.op}`);
      return `metadata->${field} ${p.op === 'eq' ? '=' : '<>'} ${add(JSON.stringify(p.value))}::jsonb`;
    case 'in':
      if (!Array.isArray(p.value) || p.value.length === 0 || p.value.length > 100 || !p.value.every(isScalar)) {
        throw bad('must be a list of 1-100 strings, finite numbers or booleans for in');
      }
      return `${add(JSON.stringify(p.value))}::jsonb @> jsonb_build_array(metadata->${field})`;
    default: {
      if (typeof p.value !== 'number' || !Number.isFinite(p.value)) throw bad(`must be a finite number for ${p.op}`);
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[p.op];
      const text = `metadata->>${field}`;
      return `(CASE WHEN jsonb_typeof(metadata->${field}) IN ('number', 'string') AND ${text} ~ ${NUMERIC} THEN (${text})::double precision END) ${op} ${add(p.value)}`;
    }
  }
}
