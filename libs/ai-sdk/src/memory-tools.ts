import { tool } from 'ai';
import { z } from 'zod';
import { MemoryError, type FactType, type MemoryClient, type SemanticMetadata } from '@memsidecar/client';
import { canonicalHash } from './canonical-hash';

export interface MemoryToolsOptions {
  /** Semantic namespace the memories go to and are recalled from. */
  ns: string;
  /** Facts namespace (default: `ns`); `false` leaves the facts block out of both tools. */
  factsNs?: string | false;
  /** Facts scope (a unit of work) the facts are written in and searched. */
  scope?: string;
  /** Session the facts are attributed to. */
  sessionId?: string;
  /** Stamped on every memory and required of every recalled one, e.g. `{userId: 'u-42'}`. */
  metadata?: SemanticMetadata;
  /** Memories `recall` returns unless the model asks for fewer or more; default 5. */
  topK?: number;
  /** Retrieval of `recall`; default `hybrid` (dense and full-text, fused). */
  mode?: 'dense' | 'sparse' | 'hybrid';
  /** Hits scoring below are left out. */
  minScore?: number;
}

const KINDS = { constraint: 'C', decision: 'D', value: 'V', unknown: '?', done: '✓', obsolete: '~' } as const satisfies Record<string, FactType>;
type Kind = keyof typeof KINDS;
const kindOf = (type: FactType): Kind => (Object.keys(KINDS) as Kind[]).find((k) => KINDS[k] === type)!;

export const rememberInput = z.object({
  content: z.string().trim().min(1).max(8000).describe('What to remember, as one self-contained statement that will make sense later without this conversation, e.g. "The user prefers answers in French".'),
  topic: z
    .string()
    .trim()
    .min(1)
    .max(128)
    .regex(/^[^\][\r\n]+$/, 'a topic has no brackets and no line breaks')
    .optional()
    .describe('Short key of what the statement is about, e.g. "user.language" or "deploy.target". With a topic the statement is also kept as a fact that replaces the older fact of the same kind and topic.'),
  kind: z
    .enum(Object.keys(KINDS) as [Kind, ...Kind[]])
    .optional()
    .describe('With a topic: constraint (a rule to respect), decision (a choice made), value (a setting or preference; the default), unknown (an open question), done (finished), obsolete (the topic no longer applies).'),
});

export const recallInput = z.object({
  query: z.string().trim().min(1).max(512).describe('What to look for: a question or a few keywords, e.g. "user language preference".'),
  limit: z.number().int().min(1).max(20).optional().describe('How many memories at most.'),
});

export interface RememberOutput {
  /** Id of the semantic record holding the statement. */
  id: string;
  /** The fact written, when a topic was given and the facts block is on. */
  fact: { line: string; status: 'stored' | 'duplicate'; replaced: number } | null;
}

export interface RecallOutput {
  memories: { id: string; content: string | null; score: number; topic?: string; kind?: string; since: string }[];
  facts: { line: string; topic: string; kind: Kind; content: string }[];
}

/**
 * `remember` and `recall` for `generateText`/`streamText`: memories are semantic records (searched
 * hybrid by default), and a statement given a topic is also a fact in the facts block's notation
 * (`T[topic]: content`), where a newer fact replaces the older one of the same kind and topic.
 */
export function memoryTools(client: MemoryClient, options: MemoryToolsOptions) {
  const factsNs = options.factsNs === false ? undefined : (options.factsNs ?? options.ns);
  const metadata = options.metadata ?? {};
  // The last write of these tools: a recall waits for it to be searchable on any instance.
  let lastSeq = 0;

  const remember = tool({
    description:
      'Save something worth knowing in later conversations: a preference, a decision, a constraint, a fact about the user or the task. Do not save chit-chat or things only true for this turn.',
    inputSchema: rememberInput,
    execute: async ({ content, topic, kind }, { abortSignal }): Promise<RememberOutput> => {
      const call = { signal: abortSignal };
      const labels = { ...(topic ? { topic } : {}), ...(topic || kind ? { kind: kind ?? 'value' } : {}) };
      const record = { content, metadata: { ...metadata, ...labels } };
      // The same statement remembered again (a retried tool call, a model repeating itself) is one memory.
      const upserted = await client.semantic.upsert({ ns: options.ns, records: [{ id: `memory-${canonicalHash(record)}`, ...record }] }, call);
      lastSeq = Math.max(lastSeq, upserted.seq);
      if (!factsNs || !topic) return { id: upserted.items[0].id, fact: null };
      const line = `${KINDS[kind ?? 'value']}[${topic}]: ${content.replace(/\s+/g, ' ')}`;
      const written = await client.facts.write({ ns: factsNs, content: line, scope: options.scope, sessionId: options.sessionId }, call);
      return { id: upserted.items[0].id, fact: { line, status: written.status, replaced: written.superseded.length } };
    },
  });

  const recall = tool({
    description:
      'Look up what was remembered in earlier conversations before answering anything that may depend on it (preferences, decisions, constraints, facts about the user or the task).',
    inputSchema: recallInput,
    execute: async ({ query, limit }, { abortSignal }): Promise<RecallOutput> => {
      const topK = limit ?? options.topK ?? 5;
      const search = await client.semantic.search(
        {
          ns: options.ns,
          queryText: query,
          topK,
          mode: options.mode ?? 'hybrid',
          ...(Object.keys(metadata).length ? { filter: metadata } : {}),
          ...(options.minScore !== undefined ? { minScore: options.minScore } : {}),
          ...(lastSeq > 0 ? { minSeq: lastSeq } : {}),
        },
        { signal: abortSignal },
      );
      const topics = [...new Set(search.hits.map((h) => h.metadata.topic).filter((t): t is string => typeof t === 'string'))];
      return {
        memories: search.hits.map((h) => ({
          id: h.id,
          content: h.content,
          score: h.score,
          ...(typeof h.metadata.topic === 'string' ? { topic: h.metadata.topic } : {}),
          ...(typeof h.metadata.kind === 'string' ? { kind: h.metadata.kind } : {}),
          since: h.validFrom,
        })),
        facts: factsNs ? await currentFacts(client, { ns: factsNs, scope: options.scope, limit: topK }, query, topics, abortSignal) : [],
      };
    },
  });

  return { remember, recall };
}

/** Most topics of recalled memories whose current fact is looked up. */
const MAX_TOPICS = 5;

/**
 * The facts matching every word of the query, and the current fact of each topic among the recalled
 * memories: memories keep every statement ever made, the fact says which one holds now.
 */
async function currentFacts(
  client: MemoryClient,
  input: { ns: string; scope?: string; limit: number },
  query: string,
  topics: string[],
  signal?: AbortSignal,
): Promise<RecallOutput['facts']> {
  const search = async (text: string) => {
    try {
      return (await client.facts.search({ ...input, query: text, limit: Math.min(input.limit, 20) }, { signal })).facts;
    } catch (e) {
      // A scope nothing was written in yet does not exist: nothing to recall from it.
      if (e instanceof MemoryError && e.code === 'NOT_FOUND') return [];
      throw e;
    }
  };
  const [byQuery, ...byTopic] = await Promise.all([search(query), ...topics.slice(0, MAX_TOPICS).map(search)]);
  const onTopic = byTopic.flatMap((facts, i) => facts.filter((f) => f.target === topics[i]));
  const unique = [...new Map([...onTopic, ...byQuery].map((f) => [f.id, f])).values()];
  return unique.map((f) => ({ line: f.line, topic: f.target, kind: kindOf(f.type), content: f.content }));
}
