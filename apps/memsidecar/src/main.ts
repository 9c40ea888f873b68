import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import express from 'express';
import { AppModule } from './app.module';
import { ConfigError, loadConfig } from '@memsidecar/config';
import type { MemsidecarConfig } from '@memsidecar/config';
import { NatsServerNotFound } from '@memsidecar/event-store';
import { Authenticator } from '@memsidecar/api';
import { PolicyEngine } from '@memsidecar/policy';
import { GrpcApi } from './transports/grpc/grpc-api';
import { existsSync, watch } from 'node:fs';
import { loadTrustedKeys } from './core/auth-keys';

const LOG_LEVELS = {
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
} as const;

function configFileFromArgs(argv: string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i >= 0) return argv[i + 1];
  return argv.find((a) => a.startsWith('--config='))?.slice('--config='.length);
}

const splitHostPort = (addr: string): [string, number] => {
  const i = addr.lastIndexOf(':');
  return [addr.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', Number(addr.slice(i + 1))];
};

export async function runService(config: MemsidecarConfig, configFile?: string): Promise<void> {
  const logger = new ConsoleLogger('memsidecar', { logLevels: [...LOG_LEVELS[config.logLevel]] });
  const app = await NestFactory.create(AppModule.forRoot(config), { logger, abortOnError: false, bodyParser: false });
  // The gateway parses bodies itself (malformed JSON is the contract's INVALID_ARGUMENT); MCP wants JSON.
  app.use('/v1', express.text({ type: () => true, limit: '4mb' }));
  app.use('/mcp', express.json({ limit: '4mb' }));
  const [host, port] = splitHostPort(config.http.addr);
  await app.listen(port, host);
  const log = new Logger('memsidecar');
  log.log(`memsidecar ready: NATS subjects ${config.subjectPrefix}.v1.>, gRPC ${app.get(GrpcApi).addresses.join(' ')}, HTTP http://${config.http.addr}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    log.log(`${signal}: stopping intake, finishing in-flight requests, letting read models catch up`);
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    force.unref();
    await app.close();
    log.log('memsidecar stopped');
    process.exit(0);
  };
  // A promise nobody awaited failing is a bug to fix, not a reason to drop every request in flight.
  process.on('unhandledRejection', (e) => log.error(`unhandled rejection (a bug; the service goes on): ${(e as Error)?.stack ?? e}`));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  watchReloadableConfig(app.get(Authenticator), app.get(PolicyEngine), configFile, log);
}

/**
 * Key rotation and policy changes without a restart: on SIGHUP, or when the config file changes,
 * the trusted keys and the policy are read again; a bad new config keeps both in force and says why.
 */
function watchReloadableConfig(authenticator: Authenticator, policy: PolicyEngine, configFile: string | undefined, log: Logger): void {
  const reload = (why: string) => {
    try {
      const config = loadConfig(process.env, configFile);
      const keys = loadTrustedKeys(config);
      authenticator.setPublicKeys(keys.publicKeys, keys.jwt);
      policy.replace(config.policy);
      log.log(`${why}: trusted keys (${keys.publicKeys.length}) and policy (${policy.ruleCount} rule(s)) reloaded`);
    } catch (e) {
      log.error(`${why}: keeping the current trusted keys and policy, the new configuration is invalid: ${(e as Error).message}`);
    }
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  if (configFile && existsSync(configFile)) {
    let timer: NodeJS.Timeout | null = null;
    watch(configFile, () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => reload(`${configFile} changed`), 200);
    }).unref();
  }
}

export async function main(): Promise<void> {
  let config: MemsidecarConfig;
  const configFile = configFileFromArgs(process.argv) ?? process.env.MEMSIDECAR_CONFIG;
  try {
    config = loadConfig(process.env, configFile);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  try {
    await runService(config, configFile);
  } catch (e) {
    console.error(e instanceof NatsServerNotFound ? e.message : `memsidecar failed to start: ${(e as Error).stack ?? e}`);
    process.exit(1);
  }
}

