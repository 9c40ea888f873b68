import type { Turn } from './locomo';

/** NLTK's classic English list (127 words) plus "would", which it lacks. */
const STOP_WORDS = new Set(
  (
    'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself ' +
    'they them their theirs themselves what which who whom this that these those am is are was were be been being have has had having ' +
    'do does did doing a an the and but if or because as until while of at by for with about against between into through during before ' +
    'after above below to from up down in out on off over under again further then once here there when where why how all any both each ' +
    'few more most other some such no nor not only own same so than too very s t can will just don should now would'
  ).split(' '),
);

const K1 = 1.2;
const B = 0.75;

export const tokenize = (text: string): string[] => (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((t) => !STOP_WORDS.has(t));

/** Plain Okapi BM25 over one conversation's turns, no stemming: the reference the service's lanes are read against. */
export class Bm25Index {
  private readonly termCounts: Map<string, number>[];
  private readonly lengths: number[];
  private readonly averageLength: number;
  private readonly documentFrequency = new Map<string, number>();

  constructor(private readonly turns: readonly Turn[]) {
    this.termCounts = turns.map((t) => {
      const counts = new Map<string, number>();
      for (const token of tokenize(t.content)) counts.set(token, (counts.get(token) ?? 0) + 1);
      return counts;
    });
    this.lengths = this.termCounts.map((c) => [...c.values()].reduce((a, b) => a + b, 0));
    this.averageLength = this.lengths.reduce((a, b) => a + b, 0) / Math.max(1, turns.length);
    for (const counts of this.termCounts) for (const term of counts.keys()) this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
  }

  private idf(term: string): number {
    const df = this.documentFrequency.get(term) ?? 0;
    return Math.log(1 + (this.turns.length - df + 0.5) / (df + 0.5));
  }

  /** Ids of the best `k` turns sharing a term with the query; each distinct query term counts once; ties keep transcript order. */
  search(query: string, k: number): string[] {
    const terms = [...new Set(tokenize(query))].filter((t) => this.documentFrequency.has(t));
    const scored = this.termCounts.map((counts, doc) => {
      const norm = K1 * (1 - B + (B * this.lengths[doc]) / this.averageLength);
      const score = terms.reduce((sum, term) => {
        const tf = counts.get(term) ?? 0;
        return tf === 0 ? sum : sum + (this.idf(term) * tf * (K1 + 1)) / (tf + norm);
      }, 0);
      return { doc, score };
    });
    return scored
      .filter((s) => s.score > 0)
      .sort((a, b) => b.score - a.score || a.doc - b.doc)
      .slice(0, k)
      .map((s) => this.turns[s.doc].id);
  }
}
