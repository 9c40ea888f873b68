import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { MemsidecarConfig } from '@memsidecar/config';
import { createMcpServer, natsCaller } from '@memsidecar/mcp';
import { UsageError, optionalOption, type ParsedArgs } from '../args';
import { VERSION } from '@memsidecar/config';

/** The service's NATS URL: MEMSIDECAR_NATS_URL, else the one an embedded service wrote to its data dir. */
function natsUrl(config: MemsidecarConfig): string {
  if (config.natsUrl) return config.natsUrl;
  const file = join(resolve(config.dataDir), 'nats.url');
  if (!existsSync(file)) throw new UsageError(`no MEMSIDECAR_NATS_URL and no ${file}: start memsidecar first or set the URL`);
  return readFileSync(file, 'utf8').trim();
}

/**
 * `memctl mcp`: an MCP server over stdio for one agent, reaching the service over NATS with one
 * capability token. stdout carries protocol only; every diagnostic goes to stderr.
 */
export async function mcp(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const token = optionalOption(args, 'token') ?? process.env.MEMSIDECAR_TOKEN;
  if (!token) throw new UsageError('a capability token is needed: MEMSIDECAR_TOKEN or --token');
  const nc = await connect({ servers: natsUrl(config).split(','), name: 'memctl-mcp', maxReconnectAttempts: -1 });
  const server = createMcpServer(natsCaller(nc, config.subjectPrefix, token), VERSION);
  const transport = new StdioServerTransport();
  transport.onclose = () => void nc.drain().finally(() => process.exit(0));
  await server.connect(transport);
  process.stderr.write(`memctl mcp: serving MCP over stdio for memsidecar at ${nc.getServer()}\n`);
}
