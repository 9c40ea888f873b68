/**
 * Whether `subject` matches a NATS filter: `*` stands for exactly one token, `>` (last only) for
 * one or more trailing tokens, anything else for itself.
 */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === subject) return true;
  const wanted = filter.split('.');
  const tokens = subject.split('.');
  for (let i = 0; i < wanted.length; i++) {
    if (wanted[i] === '>') return i === wanted.length - 1 && tokens.length > i;
    if (i >= tokens.length || (wanted[i] !== '*' && wanted[i] !== tokens[i])) return false;
  }
  return tokens.length === wanted.length;
}

/** A filter without wildcards names one subject. */
export const isLiteralSubject = (filter: string): boolean => !filter.split('.').some((t) => t === '*' || t === '>');
