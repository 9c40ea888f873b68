import { prepareDenseQuery, type HitExplanation, type SearchMode } from '@memsidecar/semantic';
import type { NatsTestClient } from '@memsidecar/testing';
import type { Conversation, Question } from './locomo';
import { SCORED_DEPTH } from './metrics';

export type Mode = SearchMode;
export const MODES: readonly Mode[] = ['dense', 'sparse', 'hybrid'];

const UPSERT_BATCH = 100;
const UPSERT_TIMEOUT_MS = 60_000;
const SEARCH_TIMEOUT_MS = 30_000;

export interface SearchHit {
  id: string;
  score: number;
  explain?: HitExplanation;
}

export interface SearchReply {
  hits: SearchHit[];
  explain?: { mode: string; denseQuery?: string; sparseTerms?: string[]; fusion?: unknown; depth?: number };
}

export interface Ingestion {
  records: number;
  seconds: number;
  lastSeq: number;
}

/** Every turn of every conversation, in batches of 100; the clock covers embedding and the acknowledgement. */
export async function ingest(client: NatsTestClient, conversations: readonly Conversation[]): Promise<Ingestion> {
  const started = process.hrtime.bigint();
  let records = 0;
  let lastSeq = 0;
  for (const c of conversations) {
    for (let start = 0; start < c.turns.length; start += UPSERT_BATCH) {
      const batch = c.turns.slice(start, start + UPSERT_BATCH);
      const reply = await client.ok<{ seq: number }>('semantic.upsert', { ns: c.namespace, records: batch }, { timeoutMs: UPSERT_TIMEOUT_MS });
      records += batch.length;
      lastSeq = Math.max(lastSeq, reply.seq);
    }
  }
  return { records, seconds: Number(process.hrtime.bigint() - started) / 1e9, lastSeq };
}

/**
 * What the service has embedded so far (its embedding cache is keyed by text) and which searches
 * ran: a search is cold when it is the first of its text in its mode and nothing it embeds was
 * embedded before, by an upsert or an earlier search of any mode.
 */
export class Warmth {
  private readonly embedded = new Set<string>();
  private readonly searched = new Set<string>();

  noteEmbedded(texts: readonly string[]): void {
    texts.forEach((t) => this.embedded.add(t));
  }

  /** Whether this search is cold; from now on it and what it embeds are warm. */
  take(mode: Mode, ns: string, queryText: string): boolean {
    const embeds = embeddedText(mode, queryText);
    const key = JSON.stringify([mode, ns, queryText]);
    const cold = !this.searched.has(key) && (embeds === null || !this.embedded.has(embeds));
    this.searched.add(key);
    if (embeds !== null) this.embedded.add(embeds);
    return cold;
  }
}

/** The text a search embeds: dense embeds the query as given, hybrid's dense lane a prepared query, sparse nothing. */
const embeddedText = (mode: Mode, queryText: string): string | null => (mode === 'dense' ? queryText : mode === 'hybrid' ? prepareDenseQuery(queryText) : null);

export const search = (client: NatsTestClient, request: Record<string, unknown>): Promise<SearchReply> =>
  client.ok<SearchReply>('semantic.search', { idsOnly: true, ...request }, { timeoutMs: SEARCH_TIMEOUT_MS });

/**
 * Waits until the read model holds the last upsert, then runs each mode once on text no question
 * uses, so the first measured search pays for no connection set-up or first-statement planning.
 */
export async function prepareForSearches(client: NatsTestClient, ns: string, lastSeq: number, warmth: Warmth): Promise<void> {
  await search(client, { ns, queryText: 'warm up', minSeq: lastSeq });
  warmth.take('dense', ns, 'warm up');
  for (const mode of MODES) {
    await search(client, { ns, queryText: 'the weather over the weekend', mode });
    warmth.take(mode, ns, 'the weather over the weekend');
  }
}

export interface ModeRun {
  rankings: string[][];
  coldLatenciesMs: number[];
}

/** Each question once in `mode`, one request at a time; latency is kept for the cold searches only. */
export async function searchEach(client: NatsTestClient, questions: readonly Question[], mode: Mode, warmth: Warmth): Promise<ModeRun> {
  const run: ModeRun = { rankings: [], coldLatenciesMs: [] };
  for (const q of questions) {
    const cold = warmth.take(mode, q.namespace, q.text);
    const started = process.hrtime.bigint();
    const reply = await search(client, { ns: q.namespace, queryText: q.text, mode, topK: SCORED_DEPTH });
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (cold) run.coldLatenciesMs.push(elapsedMs);
    run.rankings.push(reply.hits.map((h) => h.id));
  }
  return run;
}

export type ExplainSupport = { supported: true; depth: number | undefined } | { supported: false; reason: string };

/** Whether this service accepts `explain`, and the lane depth it reports for an ordinary top-20 hybrid search. */
export async function probeExplain(client: NatsTestClient, ns: string): Promise<ExplainSupport> {
  const reply = await client.call<SearchReply>('semantic.search', { ns, queryText: 'the weather over the weekend', mode: 'hybrid', topK: SCORED_DEPTH, explain: true, idsOnly: true });
  if (!reply.ok) return { supported: false, reason: reply.error?.message ?? `status ${reply.status}` };
  if (!reply.body.explain || reply.body.hits.some((h) => h.explain === undefined)) return { supported: false, reason: 'explain was accepted but not returned' };
  return { supported: true, depth: reply.body.explain.depth };
}
