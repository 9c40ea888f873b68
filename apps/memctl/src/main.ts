import 'reflect-metadata';
import { ConfigError, loadConfig } from '@memsidecar/config';
import { isMemError } from '@memsidecar/core';
import { NatsServerNotFound } from '@memsidecar/event-store';
import { UsageError, parseArgs } from './args';
import { rebuild, status } from './commands/projections';
import { inspect, issue, keygen, list, revoke } from './commands/token';
import { mcp } from './commands/mcp';

const USAGE = `memctl — operator CLI for memsidecar (same config and data dir as the service)

  memctl token keygen [--force]
  memctl token issue --tenant T [--agent A] --ns 'kv/*,episodic/events' --ops 'kv.*,episodic.append' [--ttl 1h] [--id ID]
  memctl token revoke --id TOKEN_ID [--reason R]   (every instance refuses it from then on)
  memctl token list [--tenant T] [--json]           (issued and revoked tokens: active / expired / revoked)
  memctl token inspect TOKEN
  memctl projections status
  memctl projections rebuild        (with the service stopped)
  memctl mcp [--token T]            MCP over stdio for one agent (token also from MEMSIDECAR_TOKEN)

Options: --config FILE (or MEMSIDECAR_CONFIG); MEMSIDECAR_* variables as for the service.`;

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const args = parseArgs(argv);
  const config = () => loadConfig(process.env, (args.options.get('config') as string | undefined) ?? process.env.MEMSIDECAR_CONFIG);
  const command = args.words[0] === 'mcp' ? 'mcp' : args.words.slice(0, 2).join(' ');
  try {
    switch (command) {
      case 'token keygen':
        return keygen(config(), args);
      case 'token issue':
        return await issue(config(), args);
      case 'token revoke':
        return await revoke(config(), args);
      case 'token list':
        return await list(config(), args);
      case 'token inspect':
        return inspect(config(), args);
      case 'projections status':
        return await status(config());
      case 'projections rebuild':
        return await rebuild(config());
      case 'mcp':
        return await mcp(config(), args);
      default:
        console.log(USAGE);
        if (args.words.length > 0 && !['help'].includes(args.words[0])) process.exitCode = 2;
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof NatsServerNotFound || isMemError(e)) {
      console.error(`memctl: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}
