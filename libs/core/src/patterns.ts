/**
 * The one pattern language of scopes and policy rules: `*` matches anything, a trailing `*`
 * matches by prefix, anything else matches exactly.
 */
export const matchesPattern = (pattern: string, value: string): boolean =>
  pattern === '*' || pattern === value || (pattern.endsWith('*') && value.startsWith(pattern.slice(0, -1)));
