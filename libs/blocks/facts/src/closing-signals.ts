/** Words that say a unit of work is over ("merged", "it works", "phase 2 done", ...). */
const CLOSING = /\b(merged|deployed|shipped|finished|completed|closed|fixed|resolved|released|it works|it's working|working now|phase \S+ (?:done|complete|finished|over))\b/giu;

/** A negation shortly before the word cancels it: "not merged", "haven't deployed", "not yet shipped". */
const NEGATED = /\b(not|never|no|isn't|aren't|wasn't|weren't|hasn't|haven't|hadn't|didn't|doesn't|don't|won't|can't|cannot|n't)\b(\s+\S+){0,2}\s*$/iu;

/** True when the message says the work is done, and that statement is not negated. */
export function hasClosingSignal(message: string): boolean {
  for (const m of message.matchAll(CLOSING)) {
    const before = message.slice(Math.max(0, m.index! - 40), m.index!);
    if (!NEGATED.test(before)) return true;
  }
  return false;
}
