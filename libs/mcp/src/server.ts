import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isMemError } from '@memsidecar/core';
import { randomUUID } from 'node:crypto';
import { ALL_TOOLS, type OperationCaller, type ToolSpec } from './tools';

const withoutUndefined = (args: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));

/** A tool error carries the contract's code (and reason) first, so agents can branch on it. */
export function toolError(e: unknown): { isError: true; content: { type: 'text'; text: string }[] } {
  const body = isMemError(e) ? e.toBody() : (e as { code?: string; reason?: string; message?: string });
  const code = body.code ? `${body.code}${body.reason ? `/${body.reason}` : ''}` : 'INTERNAL';
  return { isError: true, content: [{ type: 'text', text: `${code}: ${body.message ?? String(e)}` }] };
}

/** An MCP server whose tools call the contract's operations through `call`. */
export function createMcpServer(call: OperationCaller, version: string, tools: ToolSpec[] = ALL_TOOLS, sessionId = `mcp-${randomUUID()}`): McpServer {
  const server = new McpServer({ name: 'memsidecar', version });
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      { title: tool.title, description: tool.description, inputSchema: tool.input, annotations: { readOnlyHint: tool.readOnly } },
      async (args: Record<string, unknown>) => {
        try {
          const result = await call(tool.op, withoutUndefined(tool.body ? tool.body(args, { sessionId }) : args));
          return { content: [{ type: 'text' as const, text: JSON.stringify(result) }] };
        } catch (e) {
          return toolError(e);
        }
      },
    );
  }
  return server;
}
