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
}

const ns = z.string().describe('namespace: 1-128 characters of [A-Za-z0-9_.:-]');
const key = z.string().describe('key: 1-512 bytes of UTF-8');
const metadata = z.record(z.string(), z.string()).optional().describe('string map');

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
    description: 'Finds records similar to a text: dense (embeddings), sparse (full text) or hybrid.',
    op: 'semantic.search',
    readOnly: true,
    input: {
      ns,
      queryText: z.string(),
      topK: z.number().int().min(1).max(1000).optional(),
      mode: z.enum(['dense', 'sparse', 'hybrid']).optional(),
      filter: metadata,
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
      records: z.array(z.object({ id: z.string().optional(), content: z.string(), metadata, payload: z.any().optional() })).min(1).max(100),
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
