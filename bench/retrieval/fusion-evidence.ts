import { DEFAULT_FUSION, fuse, prepareDenseQuery, withNeighbors, type FusionOptions, type LaneHit, type LanePosition, type Neighbors } from '@memsidecar/semantic';
import type { NatsTestClient } from '@memsidecar/testing';
import type { Conversation, Question } from './locomo';
import { SCORED_DEPTH, meanOver, recallAt, scoreAll, type Scores } from './metrics';
import { percent } from './report';
import { search, type SearchHit, type SearchReply } from './service';

/**
 * Lanes are `max(100, topK)` deep, so only a topK at least as large as a conversation returns every
 * candidate of both lanes, with its rank and score in each; the API's maximum covers every LoCoMo
 * conversation (at most ~700 turns).
 */
const EXPLAIN_TOP_K = 1000;
/** The lane depth of an ordinary search (topK ≤ 100) when the service does not report it. */
const DEFAULT_LANE_DEPTH = 100;
const CHECKED_TOP = 10;
const TOP_CONFIGURATIONS = 5;

interface Lanes {
  dense: LaneHit[];
  sparse: LaneHit[];
}

/** Lanes plus each record's neighbours in write order (the conversation's turn order, as ingested). */
interface Context extends Lanes {
  neighbors: ReadonlyMap<string, Neighbors>;
}

/** Every turn's neighbours in the order the benchmark wrote them: the turn before and the turn after. */
export function writeOrderNeighbors(conversation: Conversation): Map<string, Neighbors> {
  const { turns } = conversation;
  return new Map(turns.map((t, i) => [t.id, { before: turns[i - 1]?.id, after: turns[i + 1]?.id }]));
}

/** One question's hybrid search with explain, rebuilt into the two lanes the service fused. */
export interface ExplainedSearch extends Lanes {
  /** The service's own fused order for this request. */
  serviceOrder: string[];
  denseQuery?: string;
  /** Both lanes' ranks run 1..n without gaps: no candidate was cut off by topK. */
  complete: boolean;
}

function lane(hits: readonly SearchHit[], pick: (h: SearchHit) => LanePosition | null | undefined): { hits: LaneHit[]; gapless: boolean } {
  const ranked = hits.flatMap((h) => {
    const e = pick(h);
    return e ? [{ id: h.id, rank: e.rank, score: e.score }] : [];
  });
  ranked.sort((a, b) => a.rank - b.rank);
  return { hits: ranked.map(({ id, score }) => ({ id, score })), gapless: ranked.every((h, i) => h.rank === i + 1) };
}

function fromExplain(reply: SearchReply): ExplainedSearch {
  const dense = lane(reply.hits, (h) => h.explain?.dense);
  const sparse = lane(reply.hits, (h) => h.explain?.sparse);
  return { dense: dense.hits, sparse: sparse.hits, serviceOrder: reply.hits.map((h) => h.id), denseQuery: reply.explain?.denseQuery, complete: dense.gapless && sparse.gapless };
}

/** One hybrid search with explain per question, deep enough to return every candidate of both lanes. */
export async function explainEach(client: NatsTestClient, questions: readonly Question[]): Promise<ExplainedSearch[]> {
  const explained: ExplainedSearch[] = [];
  for (const q of questions) explained.push(fromExplain(await search(client, { ns: q.namespace, queryText: q.text, mode: 'hybrid', topK: EXPLAIN_TOP_K, explain: true })));
  return explained;
}

/** The lanes an ordinary search would have fused: each cut to the service's depth. */
const atDepth = (lanes: Lanes, depth: number, neighbors: ReadonlyMap<string, Neighbors>): Context => ({
  dense: lanes.dense.slice(0, depth),
  sparse: lanes.sparse.slice(0, depth),
  neighbors,
});

type Method = 'linear' | 'rrf' | 'lane';

interface Candidate {
  label: string;
  family: Method;
  neighbors: number;
  rank(context: Context): string[];
}

const ids = (hits: readonly LaneHit[]): string[] => hits.map((h) => h.id);
const weightLabel = (o: FusionOptions): string => `dense ${o.weights.dense.toFixed(2)} sparse ${o.weights.sparse.toFixed(2)}, neighbors ${o.neighbors.toFixed(1)}`;
const fusionLabel = (o: FusionOptions): string => (o.method === 'rrf' ? `rrf k ${o.k}, ${weightLabel(o)}` : `linear ${weightLabel(o)}`);
/** What the service does: the lanes fused, then the neighbours' context added. */
const rankAs = (options: FusionOptions, c: Context): string[] => ids(withNeighbors(fuse(c.dense, c.sparse, options), c.neighbors, options.neighbors).hits);
const fused = (options: FusionOptions): Candidate => ({ label: fusionLabel(options), family: options.method, neighbors: options.neighbors, rank: (c) => rankAs(options, c) });

const NEIGHBOR_WEIGHTS = [0, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 1];

/**
 * Linear dense weight 0.20-0.80 by 0.05 × neighbour weight; RRF k × dense weight × neighbour weight
 * (0 or 0.6); each lane alone. Weights are twentieths so they sum to exactly 1.
 */
function grid(): Candidate[] {
  const weights = (twentieths: number) => ({ dense: twentieths / 20, sparse: (20 - twentieths) / 20 });
  const linear = NEIGHBOR_WEIGHTS.flatMap((neighbors) => Array.from({ length: 13 }, (_, i) => fused({ method: 'linear', weights: weights(4 + i), neighbors })));
  const rrf = [0, 0.6].flatMap((neighbors) => [1, 2, 5, 10, 20, 40, 60].flatMap((k) => [6, 8, 10, 12, 14].map((w) => fused({ method: 'rrf', k, weights: weights(w), neighbors }))));
  const lanes: Candidate[] = [
    { label: 'dense lane alone', family: 'lane', neighbors: 0, rank: (l) => ids(l.dense) },
    { label: 'sparse lane alone', family: 'lane', neighbors: 0, rank: (l) => ids(l.sparse) },
  ];
  return [...linear, ...rrf, ...lanes];
}

interface Evaluated {
  candidate: Candidate;
  perQuestion: Scores[];
}

const recall10 = (e: Evaluated, members: readonly number[]): number => recallAt(meanOver(e.perQuestion, members), 10);

/** A family of configurations that leave-one-conversation-out chooses within. */
interface Family {
  label: string;
  admits(c: Candidate): boolean;
}

const FAMILIES: Family[] = [
  { label: 'linear', admits: (c) => c.family === 'linear' },
  { label: 'linear without neighbours', admits: (c) => c.family === 'linear' && c.neighbors === 0 },
  { label: 'rrf', admits: (c) => c.family === 'rrf' },
];

/** The family's configuration with the best recall@10 over `members`; the first in grid order wins a tie. */
function best(evaluated: readonly Evaluated[], family: Family, members: readonly number[]): Evaluated {
  return evaluated.filter((e) => family.admits(e.candidate)).reduce((a, b) => (recall10(b, members) > recall10(a, members) ? b : a));
}

function printLeaveOneConversationOut(questions: readonly Question[], evaluated: readonly Evaluated[], defaults: Evaluated): void {
  const conversations = [...new Set(questions.map((q) => q.conversation))];
  if (conversations.length < 2) return console.log('  leave-one-conversation-out: needs at least two conversations');
  const all = questions.map((_, i) => i);
  const pooled = (scores: Scores[]) => percent(recallAt(meanOver(scores, scores.map((_, i) => i)), 10)).padStart(6);
  console.log('  leave-one-conversation-out (chosen by recall@10 on the other conversations, scored on the held-out one):');
  for (const family of FAMILIES) {
    const heldOut: Scores[] = [];
    console.log(`    ${family.label}:`);
    for (const name of conversations) {
      const test = all.filter((i) => questions[i].conversation === name);
      const chosen = best(evaluated, family, all.filter((i) => questions[i].conversation !== name));
      heldOut.push(...test.map((i) => chosen.perQuestion[i]));
      console.log(`      ${name.padEnd(9)} chose ${chosen.candidate.label.padEnd(56)} held out ${percent(recall10(chosen, test)).padStart(6)}   service default ${percent(recall10(defaults, test)).padStart(6)}`);
    }
    console.log(`      ${'pooled'.padEnd(9)}       ${''.padEnd(56)} held out ${pooled(heldOut)}   service default ${percent(recall10(defaults, all)).padStart(6)}`);
  }
}

/** How many questions' top 10 agree between the offline fusion and the service's own order. */
function agreement(offline: readonly string[][], service: readonly string[][]): { same: number; firstDifference: number } {
  const top = (list: readonly string[]) => list.slice(0, CHECKED_TOP).join(' ');
  const differing = offline.map((o, i) => top(o) !== top(service[i]));
  return { same: differing.filter((d) => !d).length, firstDifference: differing.indexOf(true) };
}

function printReproductionCheck(label: string, questions: readonly Question[], offline: readonly string[][], service: readonly string[][]): void {
  const { same, firstDifference } = agreement(offline, service);
  if (firstDifference < 0) return console.log(`  check: fusing offline with DEFAULT_FUSION reproduces ${label} top ${CHECKED_TOP} for all ${same} questions`);
  const q = questions[firstDifference];
  console.log(`  WARNING: fusing offline with DEFAULT_FUSION differs from ${label} top ${CHECKED_TOP} for ${questions.length - same} of ${questions.length} questions`);
  console.log(`    e.g. ${q.conversation} ${JSON.stringify(q.text)}: offline ${offline[firstDifference].slice(0, CHECKED_TOP).join(' ')} | service ${service[firstDifference].slice(0, CHECKED_TOP).join(' ')}`);
}

/** The cold-latency bookkeeping assumes hybrid embeds `prepareDenseQuery(question)`; explain says what it embedded. */
function printDenseQueryCheck(questions: readonly Question[], explained: readonly ExplainedSearch[]): void {
  const other = explained.filter((e, i) => e.denseQuery !== undefined && e.denseQuery !== prepareDenseQuery(questions[i].text)).length;
  if (other > 0) console.log(`  WARNING: for ${other} questions hybrid embedded something other than prepareDenseQuery(question); some of its "cold" searches may have been warm`);
}

/**
 * Figure 4: every fusion configuration of the grid evaluated offline on the lanes the service
 * produced, the service default among them, and whether parameters chosen on some conversations
 * hold on the one left out.
 */
export function printFusionEvidence(
  questions: readonly Question[],
  explained: readonly ExplainedSearch[],
  serviceHybrid: readonly string[][],
  reportedDepth: number | undefined,
  neighborsOf: (q: Question) => ReadonlyMap<string, Neighbors>,
): void {
  const depth = reportedDepth ?? DEFAULT_LANE_DEPTH;
  const incomplete = explained.filter((e) => !e.complete).length;
  if (incomplete > 0) console.log(`  WARNING: ${incomplete} explained searches have gaps in a lane's ranks; their lanes are missing candidates`);
  const lanes = explained.map((e, i) => atDepth(e, depth, neighborsOf(questions[i])));
  const evaluate = (candidate: Candidate): Evaluated => ({ candidate, perQuestion: scoreAll(questions, lanes.map((l) => candidate.rank(l))) });
  const evaluated = grid().map(evaluate);
  const defaults = evaluate({ ...fused(DEFAULT_FUSION), label: `service default (${fusionLabel(DEFAULT_FUSION)})` });
  const all = questions.map((_, i) => i);
  const ranked = [...evaluated].sort((a, b) => recall10(b, all) - recall10(a, all));

  console.log(`  ${evaluated.length} configurations, evaluated offline on lanes ${depth} deep (the service's depth for topK ≤ ${depth}), ${questions.length} questions`);
  const row = (e: Evaluated) => `${e.candidate.label.padEnd(60)} recall@10 ${percent(recall10(e, all)).padStart(6)}`;
  const conversations = [...new Set(questions.map((q) => q.conversation))];
  console.log(`  best on ${conversations.length > 1 ? `all ${conversations.length} conversations` : conversations[0]}:`);
  ranked.slice(0, TOP_CONFIGURATIONS).forEach((e, i) => console.log(`    ${i + 1}. ${row(e)}`));
  evaluated.filter((e) => e.candidate.family === 'lane').forEach((e) => console.log(`       ${row(e)}`));
  const customary = evaluate({ ...fused({ method: 'rrf', k: 60, weights: { dense: 1, sparse: 1 }, neighbors: 0 }), label: 'rrf k 60, equal weights (the customary default)' });
  console.log(`       ${row(customary)}`);
  const defaultRank = ranked.filter((e) => recall10(e, all) > recall10(defaults, all)).length + 1;
  console.log(`  ${row(defaults)}  (rank ${defaultRank} of ${evaluated.length})`);
  printLeaveOneConversationOut(questions, evaluated, defaults);

  printDenseQueryCheck(questions, explained);
  printReproductionCheck(
    "the explained searches' own order",
    questions,
    explained.map((e, i) => rankAs(DEFAULT_FUSION, { ...e, neighbors: neighborsOf(questions[i]) })),
    explained.map((e) => e.serviceOrder),
  );
  printReproductionCheck(`the service's hybrid run (topK ${SCORED_DEPTH})`, questions, lanes.map((l) => defaults.candidate.rank(l)), serviceHybrid);
}
