import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isMemError } from '@memsidecar/core';
import { randomUUID } from 'node:crypto';
import { ALL_TOOLS, isReadOnly, toolBody, toolInputSchema, type OperationCaller, type ToolSpec } from './tools';

/** A tool error carries the contract's code (and reason) first, so agents can branch on it. */
export function toolError(e: unknown): { isError: true; content: { type: 'text'; text: string }[] } {
  const body = isMemError(e) ? e.toBody() : (e as { code?: string; reason?: string; message?: string });
  const code = body.code ? `${body.code}${body.reason ? `/${body.reason}` : ''}` : 'INTERNAL';
  return { isError: true, content: [{ type: 'text', text: `${code}: ${body.message ?? String(e)}` }] };
}

/**
 * An MCP server whose tools call the contract's operations through `call`. Tools are listed with
 * the JSON Schema derived from their operation's input; the arguments go to the operation as they
 * are, so the operation's own validation refuses them, with the contract's error code.
 */
export function createMcpServer(call: OperationCaller, version: string, tools: ToolSpec[] = ALL_TOOLS, sessionId = `mcp-${randomUUID()}`): Server {
  const server = new Server({ name: 'memsidecar', version }, { capabilities: { tools: { listChanged: false } } });
  const listed = tools.map((tool) => ({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: toolInputSchema(tool),
    annotations: { readOnlyHint: isReadOnly(tool) },
  }));
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const tool = byName.get(request.params.name);
    if (!tool) return toolError({ code: 'NOT_FOUND', message: `no tool ${request.params.name}` });
    try {
      const result = await call(tool.op, toolBody(tool, request.params.arguments ?? {}, sessionId));
      return { content: [{ type: 'text', text: JSON.stringify(result) }] };
    } catch (e) {
      return toolError(e);
    }
  });
  return server;
}
