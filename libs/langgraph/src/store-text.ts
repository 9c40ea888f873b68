/**
 * The texts of an item that get embedded, by LangGraph's field paths: `$` (the whole value as
 * JSON), `a.b`, `list[*].text`, `list[0]`, `list[-1]`, `*` (every field) and `{a,b.c}` (several).
 * Strings, numbers and booleans are embedded as text, objects and arrays as indented JSON.
 */
export interface IndexedText {
  /** `path`, or `path.i` when the path yields several texts: which part of the item it is. */
  field: string;
  text: string;
}

export function textsToIndex(value: Record<string, unknown>, paths: string[]): IndexedText[] {
  return paths.flatMap((path) => {
    const texts = textsAtPath(value, path);
    return texts.length === 1 ? [{ field: path, text: texts[0] }] : texts.map((text, i) => ({ field: `${path}.${i}`, text }));
  });
}

export function textsAtPath(value: unknown, path: string): string[] {
  if (!path || path === '$') return [JSON.stringify(value, null, 2)];
  return extract(value, tokenize(path), 0);
}

const asText = (v: unknown): string[] => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (v === null || v === undefined) return [];
  return typeof v === 'object' ? [JSON.stringify(v, null, 2)] : [];
};

function extract(obj: unknown, tokens: string[], pos: number): string[] {
  if (pos >= tokens.length) return asText(obj);
  const token = tokens[pos];
  const out: string[] = pos === 0 && token === '$' ? [JSON.stringify(obj, null, 2)] : [];
  if (token.startsWith('[') && token.endsWith(']')) {
    if (!Array.isArray(obj)) return [];
    const index = token.slice(1, -1);
    if (index === '*') for (const item of obj) out.push(...extract(item, tokens, pos + 1));
    else {
      let i = parseInt(index, 10);
      if (i < 0) i += obj.length;
      if (i >= 0 && i < obj.length) out.push(...extract(obj[i], tokens, pos + 1));
    }
  } else if (token.startsWith('{') && token.endsWith('}')) {
    if (typeof obj !== 'object' || obj === null) return [];
    for (const field of token.slice(1, -1).split(',').map((f) => f.trim())) {
      let current: unknown = obj;
      for (const part of tokenize(field)) {
        current = current && typeof current === 'object' && part in current ? (current as Record<string, unknown>)[part] : undefined;
        if (current === undefined) break;
      }
      if (current !== undefined) out.push(...asText(current));
    }
  } else if (token === '*') {
    const children = Array.isArray(obj) ? obj : typeof obj === 'object' && obj !== null ? Object.values(obj) : [];
    for (const child of children) out.push(...extract(child, tokens, pos + 1));
  } else if (typeof obj === 'object' && obj !== null && token in obj) {
    out.push(...extract((obj as Record<string, unknown>)[token], tokens, pos + 1));
  }
  return out;
}

/** `a.b[*].c{d,e}` → `a`, `b`, `[*]`, `c`, `{d,e}`. */
function tokenize(path: string): string[] {
  const tokens: string[] = [];
  let current = '';
  const flush = () => {
    if (current) tokens.push(current);
    current = '';
  };
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '[' || ch === '{') {
      flush();
      const close = ch === '[' ? ']' : '}';
      let depth = 0;
      let group = '';
      for (; i < path.length; i++) {
        group += path[i];
        if (path[i] === ch) depth++;
        else if (path[i] === close && --depth === 0) break;
      }
      tokens.push(group);
    } else if (ch === '.') flush();
    else current += ch;
  }
  flush();
  return tokens;
}
