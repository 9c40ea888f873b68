import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { MemError } from '@memsidecar/core';
import { createMcpServer } from './server';
import { ALL_TOOLS, toolBody, toolInputSchema, type ToolSpec } from './tools';

const tool = (name: string): ToolSpec => ALL_TOOLS.find((t) => t.name === name)!;

/** An MCP client connected to a server whose operations are answered by `answer`, noting each call. */
async function connected(answer: (op: string, body: Record<string, unknown>) => unknown = () => ({ ok: true })) {
  const calls: { op: string; body: Record<string, unknown> }[] = [];
  const server = createMcpServer(async (op, body) => (calls.push({ op, body }), answer(op, body)), '0.0.0', ALL_TOOLS, 'mcp-connection');
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return { client, calls };
}

describe('mcp - tools', () => {
  it('lists each tool with its operation’s derived schema, renamed fields and descriptions included', async () => {
    const { client } = await connected();
    const listed = (await client.listTools()).tools;
    expect(listed.map((t) => t.name).sort()).toEqual(ALL_TOOLS.map((t) => t.name).sort());
    const put = listed.find((t) => t.name === 'kv_put')!;
    expect(put.inputSchema).toEqual(toolInputSchema(tool('kv_put')));
    expect(put.inputSchema.required?.sort()).toEqual(['key', 'ns', 'value']);
    expect((put.inputSchema.properties!.ns as { description: string }).description).toMatch(/namespace/);
    expect(put.annotations?.readOnlyHint).toBe(false);
    expect(listed.find((t) => t.name === 'kv_get')!.annotations?.readOnlyHint).toBe(true);
    const write = listed.find((t) => t.name === 'memory_write')!;
    expect((write.inputSchema.properties!.scope as { description: string }).description).toMatch(/unit of work/);
  });

  it('takes the session under its own name, optional, defaulting to the connection’s', () => {
    const schema = toolInputSchema(tool('memory_tick'));
    expect(Object.keys(schema.properties)).toContain('session_id');
    expect(Object.keys(schema.properties)).not.toContain('sessionId');
    expect(schema.required.sort()).toEqual(['message', 'turn']);
    expect(toolBody(tool('memory_tick'), { turn: 2, message: 'm' }, 'mcp-1')).toEqual({ turn: 2, message: 'm', sessionId: 'mcp-1' });
    expect(toolBody(tool('memory_tick'), { turn: 2, message: 'm', session_id: 'mine' }, 'mcp-1')).toEqual({ turn: 2, message: 'm', sessionId: 'mine' });
    expect(toolBody(tool('memory_purge'), { older_than_days: 3, scope: undefined }, 'mcp-1')).toEqual({ olderThanDays: 3 });
  });

  it('calls the operation with the body and hands back its reply', async () => {
    const { client, calls } = await connected(() => ({ purged: 2 }));
    const result = await client.callTool({ name: 'memory_purge', arguments: { older_than_days: 30 } });
    expect(calls).toEqual([{ op: 'facts.purge', body: { olderThanDays: 30 } }]);
    expect(JSON.parse((result.content as { text: string }[])[0].text)).toEqual({ purged: 2 });
    await client.callTool({ name: 'memory_status', arguments: {} });
    expect(calls[1]).toEqual({ op: 'facts.status', body: { sessionId: 'mcp-connection' } });
  });

  it('offers the graph block: reads marked read-only, each tool sending its operation with the arguments as the body', async () => {
    const { client, calls } = await connected(() => ({ nodes: [], edges: [] }));
    const listed = (await client.listTools()).tools;
    const graph = listed.filter((t) => t.name.startsWith('graph_'));
    expect(Object.fromEntries(graph.map((t) => [t.name, t.annotations?.readOnlyHint]))).toEqual({
      graph_upsert: false, graph_get: true, graph_neighbors: true, graph_traverse: true, graph_delete: false,
    });
    expect(graph.find((t) => t.name === 'graph_traverse')!.inputSchema.required?.sort()).toEqual(['ns', 'startId']);
    const args = { ns: 'people', startId: 'ada', direction: 'both', depth: 2 };
    await client.callTool({ name: 'graph_traverse', arguments: args });
    expect(calls).toEqual([{ op: 'graph.traverse', body: args }]);
  });

  it('leaves refusing to the operation, so the tool error carries the contract’s code', async () => {
    const { client, calls } = await connected(() => {
      throw new MemError('INVALID_ARGUMENT', 'ns: must be 1-128 characters of [A-Za-z0-9_.:-]');
    });
    const result = await client.callTool({ name: 'kv_put', arguments: { ns: 'bad ns', key: 'k', value: 1 } });
    expect(calls).toHaveLength(1);
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0].text).toMatch(/^INVALID_ARGUMENT: ns:/);
  });
});
