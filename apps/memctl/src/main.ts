import 'reflect-metadata';
import { ConfigError, loadConfig } from '@memsidecar/config';
import { isMemError } from '@memsidecar/core';
import { NatsServerNotFound } from '@memsidecar/event-store';
import { UsageError, parseArgs } from './args';
import { audit } from './commands/audit';
import { exportLog } from './commands/log-export';
import { replay } from './commands/replay';
import { erase } from './commands/erase';
import { revert } from './commands/revert';
import { verify } from './commands/verify';
import { rebuild, status } from './commands/projections';
import { errors, resolveErrors } from './commands/projection-errors';
import { inspect, issue, keygen, list, revoke } from './commands/token';
import { mcp } from './commands/mcp';

const USAGE = `memctl — operator CLI for memsidecar (same config and data dir as the service)

  memctl token keygen [--force]
  memctl token issue --tenant T [--agent A] --ns 'kv/*,episodic/events' --ops 'kv.*,episodic.append' [--ttl 1h] [--id ID] [--trust low|medium|high]
  memctl token revoke --id TOKEN_ID [--reason R]   (every instance refuses it from then on)
  memctl token list [--tenant T] [--json]           (issued and revoked tokens: active / expired / revoked)
  memctl token inspect TOKEN
  memctl projections status [--json]  (per read model: checkpoint, log, lag in events, behind/current)
  memctl projections errors [--all] [--json]
                                    events a read model stopped at after its retries (it waits for you)
  memctl projections retry READ_MODEL [--seq N]   apply the stopped-at event again (after a fix)
  memctl projections skip READ_MODEL [--seq N]    move past it without applying it (kept on record)
  memctl projections rebuild [--drop-old]
                                    Postgres: blue/green while the service runs, old tables kept for a
                                    rollback unless --drop-old; PGlite: in place, with the service stopped
  memctl audit [--tenant T] [--agent A] [--session S] [--block B] [--ns N] [--since T] [--until T]
               [--from-seq N] [--types 'kv.*,session.opened'] [--limit N] [--json]
                                    events from the audit read model, oldest first (every tenant without --tenant)
  memctl log export --out FILE.jsonl [--since T | --from-seq N] [--follow]
                                    the log as JSON lines, oldest first; an existing FILE is continued
  memctl replay --into DATABASE_URL [--until SEQ|TIME] [--force]
                                    every read model rebuilt into another Postgres database as of a point
  memctl revert kv --tenant T --ns N --key K --to-seq S [--if-version V] [--json]
  memctl revert semantic --tenant T --ns N --id ID --to-seq S [--json]
  memctl revert facts --tenant T [--ns N] --id ID --to-seq S [--json]
                                    one key, record or fact as it was at a log sequence, restored by a
                                    new event (semantic and facts: on PGlite, with the service stopped)
  memctl erase --tenant T [--ns N] [--json]
                                    asks the running service to erase a tenant or one namespace of it
                                    for good (audit.erase) and prints the receipt
  memctl verify                     replays the log into a scratch database and compares every read
                                    model row by row with the live one (exit 1 on a difference)
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
        return await inspect(config(), args);
      case 'projections status':
        return await status(config(), args);
      case 'projections errors':
        return await errors(config(), args);
      case 'projections retry':
      case 'projections skip':
        return await resolveErrors(args.words[1] as 'retry' | 'skip', config(), args);
      case 'projections rebuild':
        return await rebuild(config(), args);
      case 'audit':
        return await audit(config(), args);
      case 'log export':
        return await exportLog(config(), args);
      case 'replay':
        return await replay(config(), args);
      case 'revert kv':
      case 'revert semantic':
      case 'revert facts':
        return await revert(config(), args);
      case 'erase':
        return await erase(config(), args);
      case 'verify':
        return await verify(config());
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
