/**
 * LangGraph's search filter on an item's value: `{field: value}` is an exact match (JSON values
 * compared by content), `{field: {$op: operand}}` applies each operator. Comparisons follow
 * LangGraph's in-memory store: `$gt`..`$lte` compare as numbers, `$in`/`$nin` test membership.
 */
export type SearchFilter = Record<string, unknown>;

const OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin']);

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Throws on an operator this store does not know, rather than matching nothing in silence. */
export function assertFilter(filter: SearchFilter | undefined): void {
  if (filter === undefined || filter === null) return;
  if (!isPlainObject(filter)) throw new TypeError(`A search filter must be an object of field conditions, got ${JSON.stringify(filter)}.`);
  for (const [field, condition] of Object.entries(filter)) {
    if (!isOperatorObject(condition)) continue;
    for (const op of Object.keys(condition)) {
      if (!OPERATORS.has(op)) throw new TypeError(`Unknown filter operator '${op}' on field '${field}'; known: ${[...OPERATORS].join(', ')}.`);
    }
  }
}

/** An object whose keys all start with `$` is a set of operators; any other object is a value. */
const isOperatorObject = (v: unknown): v is Record<string, unknown> =>
  isPlainObject(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$'));

export function matchesFilter(value: Record<string, unknown>, filter: SearchFilter | undefined): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([field, condition]) => matchesCondition(value[field], condition));
}

function matchesCondition(actual: unknown, condition: unknown): boolean {
  if (!isOperatorObject(condition)) return jsonEqual(actual, condition);
  return Object.entries(condition).every(([op, operand]) => {
    switch (op) {
      case '$eq':
        return jsonEqual(actual, operand);
      case '$ne':
        return !jsonEqual(actual, operand);
      case '$gt':
        return Number(actual) > Number(operand);
      case '$gte':
        return Number(actual) >= Number(operand);
      case '$lt':
        return Number(actual) < Number(operand);
      case '$lte':
        return Number(actual) <= Number(operand);
      case '$in':
        return Array.isArray(operand) && operand.some((o) => jsonEqual(actual, o));
      case '$nin':
        return !Array.isArray(operand) || !operand.some((o) => jsonEqual(actual, o));
      default:
        return false;
    }
  });
}

function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}
