import { z } from 'zod';

/** Runs one contract operation for a tool; rejects with the contract's error. */
export type OperationCaller = (op: string, body: Record<string, unknown>) => Promise<unknown>;

export interface ToolSpec {
  name: string;
  title: string;
  description: string;
  op: string;
  readOnly: boolean;
  input: z.ZodRawShape;
  /** Turns the tool's arguments into the operation's body (default: as given). */
  body?: (args: Record<string, unknown>, defaults: { sessionId: string }) => Record<string, unknown>;
}

const ns = z.string().describe('namespace: 1-128 characters of [A-Za-z0-9_.:-]');
const key = z.string().describe('key: 1-512 bytes of UTF-8');
const metadata = z.record(z.string(), z.string()).optional().describe('string map');
const scalarMetadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('map of string, number or boolean values');

/** The blocks agents use most, as MCP tools; each maps one-to-one onto a contract operation. */
export const BLOCK_TOOLS: ToolSpec[] = [
  {
    name: 'kv_get',
    title: 'Read a key',
    description: 'Reads a value from key-value memory. Missing or expired keys return found: false.',
    op: 'kv.get',
    readOnly: true,
    input: { ns, key },
  },
  {
    name: 'kv_put',
    title: 'Write a key',
    description: 'Writes any JSON value under a key; versions count up; ttlMs expires it; ifVersion makes it compare-and-set (0 = create only).',
    op: 'kv.put',
    readOnly: false,
    input: { ns, key, value: z.any().describe('any JSON value'), ttlMs: z.number().int().positive().optional(), ifVersion: z.number().int().min(0).optional(), metadata },
  },
  {
    name: 'episodic_append',
    title: 'Append an event',
    description: 'Appends an event (message, tool call, observation) to an episodic log; a repeated dedupKey returns the original.',
    op: 'episodic.append',
    readOnly: false,
    input: {
      ns,
      type: z.string().describe('what happened, e.g. message or tool_call'),
      payload: z.any().optional(),
      role: z.string().optional(),
      sessionId: z.string().optional(),
      dedupKey: z.string().optional(),
      metadata,
    },
  },
  {
    name: 'episodic_range',
    title: 'Read events',
    description: 'Reads events by cursor or time (all bounds exclusive), optionally filtered by session, role or type; reverse gives newest first.',
    op: 'episodic.range',
    readOnly: true,
    input: {
      ns,
      afterCursor: z.number().int().min(0).optional(),
      beforeCursor: z.number().int().min(1).optional(),
      sessionId: z.string().optional(),
      role: z.string().optional(),
      type: z.string().optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      reverse: z.boolean().optional(),
    },
  },
  {
    name: 'semantic_search',
    title: 'Search memory by meaning',
    description: 'Finds records similar to a text: dense (embeddings), sparse (BM25 keywords) or hybrid (both, fused). explain: true says why each hit was found.',
    op: 'semantic.search',
    readOnly: true,
    input: {
      ns,
      queryText: z.string(),
      topK: z.number().int().min(1).max(1000).optional(),
      mode: z.enum(['dense', 'sparse', 'hybrid']).optional(),
      filter: scalarMetadata,
      explain: z.boolean().optional(),
    },
  },
  {
    name: 'semantic_upsert',
    title: 'Remember texts',
    description: 'Stores texts (embedded by the namespace embedder) for semantic search; ids are assigned when absent.',
    op: 'semantic.upsert',
    readOnly: false,
    input: {
      ns,
      records: z.array(z.object({ id: z.string().optional(), content: z.string(), metadata: scalarMetadata, payload: z.any().optional() })).min(1).max(100),
    },
  },
  {
    name: 'lease_acquire',
    title: 'Take a lock',
    description: 'Acquires a lease (distributed lock) with a TTL; waitMs waits for the holder to release; returns holderId and a fencing token.',
    op: 'lease.acquire',
    readOnly: false,
    input: { ns, key, ttlMs: z.number().int().positive(), waitMs: z.number().int().min(0).optional(), holder: z.string().optional() },
  },
  {
    name: 'lease_release',
    title: 'Release a lock',
    description: 'Releases a lease held by holderId.',
    op: 'lease.release',
    readOnly: false,
    input: { ns, key, holderId: z.string() },
  },
];

const scope = z.string().optional().describe('scope label: a unit of work such as a feature or a bug fix');
const sessionId = z.string().optional().describe('session id (defaults to one per MCP connection)');

/** The seven memory tools, named and shaped as agents know them from MEMORY_SPEC tooling. */
export const FACT_TOOLS: ToolSpec[] = [
  {
    name: 'memory_write',
    title: 'Store a fact',
    description: 'Stores one fact in MEMORY_SPEC notation, "T[target]: content" with T one of C (constraint) D (decision) V (value) ? (unknown) ✓ (done) ~ (obsolete). Call it for any constraint, decision or value established.',
    op: 'facts.write',
    readOnly: false,
    input: { content: z.string(), scope, session_id: sessionId },
    body: (a, d) => ({ content: a.content, scope: a.scope, sessionId: a.session_id ?? d.sessionId }),
  },
  {
    name: 'memory_search',
    title: 'Search facts',
    description: 'Full-text search over hot and cold facts (default 5, at most 20). Call it before answering on a topic with history.',
    op: 'facts.search',
    readOnly: true,
    input: { query: z.string(), scope, limit: z.number().int().min(1).max(20).optional() },
  },
  {
    name: 'memory_tick',
    title: 'Advance the turn',
    description: 'Call on every user message with the turn number and the message: closes finished scopes (closing words, idle turns, topic shifts).',
    op: 'facts.tick',
    readOnly: false,
    input: { turn: z.number().int().min(0), message: z.string(), session_id: sessionId },
    body: (a, d) => ({ turn: a.turn, message: a.message, sessionId: a.session_id ?? d.sessionId }),
  },
  {
    name: 'memory_status',
    title: 'Memory block',
    description: 'Returns the block to put in the system prompt (legend, pressure gauge, hot facts), within the token budget. Call at session start.',
    op: 'facts.status',
    readOnly: true,
    input: { session_id: sessionId },
    body: (a, d) => ({ sessionId: a.session_id ?? d.sessionId }),
  },
  {
    name: 'memory_reflect',
    title: 'Reflect on a topic',
    description: 'Groups what is known about a topic by type: constraints, decisions, values, unknowns, done, obsolete.',
    op: 'facts.reflect',
    readOnly: true,
    input: { topic: z.string(), limit: z.number().int().min(1).max(20).optional() },
  },
  {
    name: 'memory_export',
    title: 'Export facts',
    description: 'All facts as notation lines, optionally of one scope and status (active, cold, all).',
    op: 'facts.export',
    readOnly: true,
    input: { scope, status: z.enum(['active', 'cold', 'all']).optional() },
  },
  {
    name: 'memory_purge',
    title: 'Purge old facts',
    description: 'Deletes superseded and archived facts for good, optionally only those older than N days.',
    op: 'facts.purge',
    readOnly: false,
    input: { scope, older_than_days: z.number().int().min(0).optional() },
    body: (a) => ({ scope: a.scope, olderThanDays: a.older_than_days }),
  },
];

export const ALL_TOOLS: ToolSpec[] = [...FACT_TOOLS, ...BLOCK_TOOLS];
