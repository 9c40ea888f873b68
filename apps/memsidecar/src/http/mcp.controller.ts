import { All, Controller, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isMemError, systemClock } from '@memsidecar/core';
import { Authenticator, Dispatcher } from '@memsidecar/api';
import { VERSION } from '@memsidecar/config';
import { createMcpServer } from '@memsidecar/mcp';
import { httpHeaders } from './request-headers';

/**
 * MCP over streamable HTTP at `/mcp`, stateless: each POST gets its own server and transport. The
 * token in `Authorization` is checked first; every tool call then goes through the dispatcher with
 * it, so scopes apply exactly as on NATS.
 */
@Controller('mcp')
export class McpController {
  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly authenticator: Authenticator,
  ) {}

  @Post()
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const authorization = req.headers.authorization;
    try {
      await this.authenticator.authenticate(authorization, systemClock.now());
    } catch (e) {
      const error = isMemError(e) ? e.toBody() : { code: 'UNAUTHENTICATED', message: String(e) };
      res.status(401).json({ jsonrpc: '2.0', error: { code: -32001, message: `${error.code}: ${error.message}` }, id: null });
      return;
    }
    // Every tool call of the POST carries its token and its caller's trace context.
    const { traceparent, tracestate } = httpHeaders(req);
    const server = createMcpServer((op, body) => this.dispatcher.dispatch(op, body, { authorization, traceparent, tracestate }, 'mcp'), VERSION);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  /** Stateless: no server-to-client stream and no session to delete. */
  @All()
  notAllowed(@Res() res: Response): void {
    res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
  }
}
