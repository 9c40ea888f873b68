import { InvalidNamespaceError } from '@langchain/langgraph-checkpoint';

/**
 * How an item's namespace and key become one kv key: every label followed by `.`, then `:`, then
 * the item's key — `["users", "u1"]` + `prefs` is `users.u1.:prefs`. Labels can hold neither `.`
 * nor `:` (LangGraph forbids both), so the first `:` ends the namespace, and the kv prefix of a
 * namespace prefix (`users.u1.`) ends on a separator: `["a", "b"]` never matches `["a", "bc"]`.
 */
const LABEL_END = '.';
const NAMESPACE_END = ':';
const MAX_KV_KEY_BYTES = 512;

/** LangGraph's rules for a label, checked here too since `batch()` bypasses the base class's checks. */
export function assertNamespace(namespace: string[], { allowEmpty }: { allowEmpty: boolean }): void {
  if (!Array.isArray(namespace)) throw new InvalidNamespaceError(`Namespace must be an array of strings, got ${typeof namespace}.`);
  if (namespace.length === 0 && !allowEmpty) throw new InvalidNamespaceError('Namespace cannot be empty.');
  for (const label of namespace) {
    if (typeof label !== 'string') throw new InvalidNamespaceError(`Namespace labels must be strings, got ${typeof label} in [${namespace.join(', ')}].`);
    if (label === '') throw new InvalidNamespaceError(`Namespace labels cannot be empty strings, in [${namespace.join(', ')}].`);
    if (label.includes('.')) throw new InvalidNamespaceError(`Invalid namespace label '${label}': labels cannot contain periods ('.').`);
    if (label.includes(':')) throw new InvalidNamespaceError(`Invalid namespace label '${label}': labels cannot contain colons (':').`);
    if (label.includes('\0')) throw new InvalidNamespaceError('Namespace labels cannot contain NUL bytes.');
  }
}

/** The kv prefix shared by every item in `namespace` and in the namespaces below it. */
export const namespacePrefix = (namespace: string[]): string => namespace.map((label) => label + LABEL_END).join('');

export function itemKey(namespace: string[], key: string): string {
  if (typeof key !== 'string' || key === '') throw new TypeError(`An item's key must be a non-empty string, got ${JSON.stringify(key)}.`);
  if (key.includes('\0')) throw new TypeError("An item's key cannot contain NUL bytes.");
  const encoded = namespacePrefix(namespace) + NAMESPACE_END + key;
  const bytes = Buffer.byteLength(encoded, 'utf8');
  if (bytes > MAX_KV_KEY_BYTES) {
    throw new RangeError(`Namespace [${namespace.join(', ')}] and key '${key.slice(0, 40)}' take ${bytes} bytes together; at most ${MAX_KV_KEY_BYTES - 1 - namespace.length} bytes of labels and key fit.`);
  }
  return encoded;
}

export interface DecodedKey {
  namespace: string[];
  key: string;
}

/** The inverse of `itemKey`; null for a kv key this store did not write. */
export function decodeItemKey(kvKey: string): DecodedKey | null {
  const end = kvKey.indexOf(NAMESPACE_END);
  if (end <= 0 || !kvKey.slice(0, end).endsWith(LABEL_END)) return null;
  const namespace = kvKey.slice(0, end - 1).split(LABEL_END);
  return { namespace, key: kvKey.slice(end + 1) };
}
