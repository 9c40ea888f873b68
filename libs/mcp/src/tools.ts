import { EpisodicAppendInput, EpisodicRangeInput } from '@memsidecar/episodic';
import { FactsExportInput, FactsPurgeInput, FactsReflectInput, FactsSearchInput, FactsStatusInput, FactsTickInput, FactsWriteInput } from '@memsidecar/facts';
import { GraphDeleteInput, GraphGetInput, GraphNeighborsInput, GraphTraverseInput, GraphUpsertInput } from '@memsidecar/graph';
import { KvGetInput, KvPutInput } from '@memsidecar/kv';
import { LeaseAcquireInput, LeaseReleaseInput } from '@memsidecar/lease';
import { SemanticSearchInput, SemanticUpsertInput } from '@memsidecar/semantic';
import { OPERATION_CATALOGUE, type OperationName } from '@memsidecar/core';
import { inputJsonSchema, type ObjectSchema } from './input-schema';

/** Runs one contract operation for a tool; rejects with the contract's error. */
export type OperationCaller = (op: string, body: Record<string, unknown>) => Promise<unknown>;

/**
 * One MCP tool: a contract operation under a name agents know. Its arguments are the operation's
 * input fields, described by the schema derived from the operation's DTO (`input`), and validated
 * by the operation itself, so a refusal carries the contract's error code.
 */
export interface ToolSpec {
  name: string;
  title: string;
  description: string;
  op: OperationName;
  /** The operation's input class, as its operation declares it. */
  input: new () => object;
  /** Input fields the tool takes under another name, e.g. `{olderThanDays: 'older_than_days'}`. */
  rename?: Record<string, string>;
  /** The input field that defaults to the MCP connection's own session id; optional for the tool. */
  session?: string;
}

/** Reads change nothing: hosts may run them without asking. */
export const isReadOnly = (tool: ToolSpec): boolean => !OPERATION_CATALOGUE[tool.op].mutation;

/** The tool's input schema: the operation's, with its renames and its session default. */
export function toolInputSchema(tool: ToolSpec): ObjectSchema {
  const schema = inputJsonSchema(tool.input);
  const argName = (field: string) => tool.rename?.[field] ?? field;
  const properties = Object.fromEntries(
    Object.entries(schema.properties).map(([field, s]) => [
      argName(field),
      field === tool.session ? { ...s, description: `${s.description ? `${s.description}; ` : ''}defaults to one session per MCP connection` } : s,
    ]),
  );
  const required = schema.required.filter((field) => field !== tool.session).map(argName);
  return { ...schema, properties, required };
}

/** The operation's body for the tool's arguments: fields under their own names, the session filled in. */
export function toolBody(tool: ToolSpec, args: Record<string, unknown>, sessionId: string): Record<string, unknown> {
  const fieldOf = new Map(Object.entries(tool.rename ?? {}).map(([field, arg]) => [arg, field]));
  const body = Object.fromEntries(Object.entries(args).flatMap(([arg, v]) => (v === undefined ? [] : [[fieldOf.get(arg) ?? arg, v]])));
  if (tool.session && body[tool.session] === undefined) body[tool.session] = sessionId;
  return body;
}

/** The blocks agents use most, as MCP tools; each maps one-to-one onto a contract operation. */
export const BLOCK_TOOLS: ToolSpec[] = [
  {
    name: 'kv_get',
    title: 'Read a key',
    description: 'Reads a value from key-value memory. Missing or expired keys return found: false.',
    op: 'kv.get',
    input: KvGetInput,
  },
  {
    name: 'kv_put',
    title: 'Write a key',
    description: 'Writes any JSON value under a key; versions count up; ttlMs expires it; ifVersion makes it compare-and-set (0 = create only).',
    op: 'kv.put',
    input: KvPutInput,
  },
  {
    name: 'episodic_append',
    title: 'Append an event',
    description: 'Appends an event (message, tool call, observation) to an episodic log; a repeated dedupKey returns the original.',
    op: 'episodic.append',
    input: EpisodicAppendInput,
  },
  {
    name: 'episodic_range',
    title: 'Read events',
    description: 'Reads events by cursor or time (all bounds exclusive), optionally filtered by session, role or type; reverse gives newest first.',
    op: 'episodic.range',
    input: EpisodicRangeInput,
  },
  {
    name: 'semantic_search',
    title: 'Search memory by meaning',
    description: 'Finds records similar to a text: dense (embeddings), sparse (BM25 keywords) or hybrid (both, fused). explain: true says why each hit was found.',
    op: 'semantic.search',
    input: SemanticSearchInput,
  },
  {
    name: 'semantic_upsert',
    title: 'Remember texts',
    description: 'Stores texts (embedded by the namespace embedder) for semantic search; ids are assigned when absent.',
    op: 'semantic.upsert',
    input: SemanticUpsertInput,
  },
  {
    name: 'lease_acquire',
    title: 'Take a lock',
    description: 'Acquires a lease (distributed lock) with a TTL; waitMs waits for the holder to release; returns holderId and a fencing token.',
    op: 'lease.acquire',
    input: LeaseAcquireInput,
  },
  {
    name: 'lease_release',
    title: 'Release a lock',
    description: 'Releases a lease held by holderId.',
    op: 'lease.release',
    input: LeaseReleaseInput,
  },
  {
    name: 'graph_upsert',
    title: 'Write graph nodes and edges',
    description:
      'Stores nodes (id, labels, props) and typed edges between nodes that exist or come in the same call; an edge with supersedes closes the old edge at its validFrom (e.g. a new employer). Re-upserting an id replaces it.',
    op: 'graph.upsert',
    input: GraphUpsertInput,
  },
  {
    name: 'graph_get',
    title: 'Read graph nodes and edges',
    description: 'Reads nodes and edges by id (edges whatever their validity); missing ids are left out.',
    op: 'graph.get',
    input: GraphGetInput,
  },
  {
    name: 'graph_neighbors',
    title: 'Find related nodes',
    description: "A node's edges valid now (or at asOf), out, in or both ways, optionally of some types or to nodes of some labels, each with the node at its other end.",
    op: 'graph.neighbors',
    input: GraphNeighborsInput,
  },
  {
    name: 'graph_traverse',
    title: 'Walk the graph',
    description: 'Breadth-first walk from a node along valid edges, up to depth, maxNodes and fanOut (clamped to the configured maxima); truncated says which limit cut it.',
    op: 'graph.traverse',
    input: GraphTraverseInput,
  },
  {
    name: 'graph_delete',
    title: 'Delete graph nodes and edges',
    description: 'Deletes nodes and edges by id; a node that still has edges is refused unless cascade deletes them with it.',
    op: 'graph.delete',
    input: GraphDeleteInput,
  },
];

/** The seven memory tools, named and shaped as agents know them from MEMORY_SPEC tooling. */
export const FACT_TOOLS: ToolSpec[] = [
  {
    name: 'memory_write',
    title: 'Store a fact',
    description: 'Stores one fact in MEMORY_SPEC notation, "T[target]: content" with T one of C (constraint) D (decision) V (value) ? (unknown) ✓ (done) ~ (obsolete). Call it for any constraint, decision or value established.',
    op: 'facts.write',
    input: FactsWriteInput,
    rename: { sessionId: 'session_id' },
    session: 'sessionId',
  },
  {
    name: 'memory_search',
    title: 'Search facts',
    description: 'Full-text search over hot and cold facts (default 5, at most 20). Call it before answering on a topic with history.',
    op: 'facts.search',
    input: FactsSearchInput,
  },
  {
    name: 'memory_tick',
    title: 'Advance the turn',
    description: 'Call on every user message with the turn number and the message: closes finished scopes (closing words, idle turns, topic shifts).',
    op: 'facts.tick',
    input: FactsTickInput,
    rename: { sessionId: 'session_id' },
    session: 'sessionId',
  },
  {
    name: 'memory_status',
    title: 'Memory block',
    description: 'Returns the block to put in the system prompt (legend, pressure gauge, hot facts), within the token budget. Call at session start.',
    op: 'facts.status',
    input: FactsStatusInput,
    rename: { sessionId: 'session_id' },
    session: 'sessionId',
  },
  {
    name: 'memory_reflect',
    title: 'Reflect on a topic',
    description: 'Groups what is known about a topic by type: constraints, decisions, values, unknowns, done, obsolete.',
    op: 'facts.reflect',
    input: FactsReflectInput,
  },
  {
    name: 'memory_export',
    title: 'Export facts',
    description: 'All facts as notation lines, optionally of one scope and status (active, cold, all).',
    op: 'facts.export',
    input: FactsExportInput,
  },
  {
    name: 'memory_purge',
    title: 'Purge old facts',
    description: 'Deletes superseded and archived facts for good, optionally only those older than N days.',
    op: 'facts.purge',
    input: FactsPurgeInput,
    rename: { olderThanDays: 'older_than_days' },
  },
];

export const ALL_TOOLS: ToolSpec[] = [...FACT_TOOLS, ...BLOCK_TOOLS];
