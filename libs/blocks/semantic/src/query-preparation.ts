/**
 * Question openers that carry no content: interrogatives and the auxiliaries that follow them.
 * Embedded as they are, they pull a question towards records that are themselves questions.
 */
const OPENERS = new Set(
  'what when where which who whom whose why how did does do is are was were has have had would could should can will might may must am be been being shall'.split(' '),
);

/**
 * The text the dense lane of hybrid search embeds: a question's leading interrogatives and
 * auxiliaries and its question marks removed ("When did Caroline go to the support group?" →
 * "Caroline go to the support group"). Anything that would be left empty is kept as it was.
 */
export function prepareDenseQuery(text: string): string {
  const words = text.replace(/\?/g, ' ').trim().split(/\s+/);
  let start = 0;
  while (start < words.length - 1 && OPENERS.has(words[start].toLowerCase().replace(/[^a-z]/g, ''))) start++;
  const prepared = words.slice(start).join(' ');
  return prepared.length > 0 ? prepared : text;
}
