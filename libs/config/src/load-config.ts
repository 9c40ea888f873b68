import { readFileSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { parse } from 'yaml';
import { parsePolicy } from '@memsidecar/policy';
import { MemsidecarConfig } from './config';

export class ConfigError extends Error {}

/** Environment variables and the config path each overrides. */
const ENVIRONMENT: Record<string, { path: string[]; kind?: 'int' | 'number' | 'list' | 'bool'; fallback?: boolean }> = {
  MEMSIDECAR_NATS_URL: { path: ['natsUrl'] },
  MEMSIDECAR_NATS_TLS_CA: { path: ['natsTls', 'caFile'] },
  MEMSIDECAR_NATS_TLS_CERT: { path: ['natsTls', 'certFile'] },
  MEMSIDECAR_NATS_TLS_KEY: { path: ['natsTls', 'keyFile'] },
  MEMSIDECAR_DATABASE_URL: { path: ['databaseUrl'] },
  MEMSIDECAR_DATA_DIR: { path: ['dataDir'] },
  MEMSIDECAR_SUBJECT_PREFIX: { path: ['subjectPrefix'] },
  MEMSIDECAR_STREAM: { path: ['stream'] },
  MEMSIDECAR_STREAM_REPLICAS: { path: ['streamReplicas'], kind: 'int' },
  MEMSIDECAR_QUEUE_GROUP: { path: ['queueGroup'] },
  MEMSIDECAR_AUTH: { path: ['auth', 'mode'] },
  MEMSIDECAR_PUBLIC_KEYS: { path: ['auth', 'publicKeys'], kind: 'list' },
  MEMSIDECAR_JWT_PUBLIC_KEYS: { path: ['auth', 'jwt', 'publicKeys'], kind: 'list' },
  MEMSIDECAR_JWT_ISSUER: { path: ['auth', 'jwt', 'issuer'] },
  MEMSIDECAR_JWT_AUDIENCE: { path: ['auth', 'jwt', 'audience'] },
  MEMSIDECAR_GRPC_ADDR: { path: ['grpc', 'addr'] },
  MEMSIDECAR_GRPC_SOCKET: { path: ['grpc', 'socket'] },
  MEMSIDECAR_GRPC_TLS_CERT: { path: ['grpc', 'tls', 'certFile'] },
  MEMSIDECAR_GRPC_TLS_KEY: { path: ['grpc', 'tls', 'keyFile'] },
  MEMSIDECAR_GRPC_TLS_CLIENT_CA: { path: ['grpc', 'tls', 'clientCaFile'] },
  MEMSIDECAR_GRPC_TLS_REQUIRE_CLIENT_CERT: { path: ['grpc', 'tls', 'requireClientCert'], kind: 'bool' },
  MEMSIDECAR_HTTP_ADDR: { path: ['http', 'addr'] },
  MEMSIDECAR_LOG_LEVEL: { path: ['logLevel'] },
  MEMSIDECAR_ACCESS_LOG: { path: ['accessLog'] },
  MEMSIDECAR_TRACING: { path: ['tracing', 'exporter'] },
  // OpenTelemetry's own variable, so a collector set up for other services is found; ours and the file win.
  OTEL_EXPORTER_OTLP_ENDPOINT: { path: ['tracing', 'otlpEndpoint'], fallback: true },
  MEMSIDECAR_TRACING_ENDPOINT: { path: ['tracing', 'otlpEndpoint'] },
  MEMSIDECAR_TRACING_SAMPLE_RATIO: { path: ['tracing', 'sampleRatio'], kind: 'number' },
  MEMSIDECAR_READ_WAIT_MS: { path: ['limits', 'readWaitMs'], kind: 'int' },
  MEMSIDECAR_ENCRYPTION: { path: ['encryption', 'mode'] },
  MEMSIDECAR_MASTER_KEY_FILE: { path: ['encryption', 'masterKeyFile'] },
  MEMSIDECAR_REQUEST_RETENTION_MS: { path: ['requests', 'retentionMs'], kind: 'int' },
  MEMSIDECAR_EMBEDDER: { path: ['semantic', 'embedder'] },
  MEMSIDECAR_FACTS_TOKEN_BUDGET: { path: ['facts', 'tokenBudget'], kind: 'int' },
  MEMSIDECAR_FACTS_CAPACITY_CHARS: { path: ['facts', 'capacityChars'], kind: 'int' },
  MEMSIDECAR_EMBEDDER_URL: { path: ['semantic', 'remote', 'baseUrl'] },
  MEMSIDECAR_EMBEDDER_MODEL: { path: ['semantic', 'remote', 'model'] },
  MEMSIDECAR_EMBEDDER_DIMENSIONS: { path: ['semantic', 'remote', 'dimensions'], kind: 'int' },
  MEMSIDECAR_EMBEDDER_API_KEY_ENV: { path: ['semantic', 'remote', 'apiKeyEnv'] },
  MEMSIDECAR_ARTIFACT_STORE: { path: ['artifact', 'store'] },
  MEMSIDECAR_ARTIFACT_UPLOAD_TTL_MS: { path: ['artifact', 'uploadTtlMs'], kind: 'int' },
  MEMSIDECAR_ARTIFACT_GC_GRACE_MS: { path: ['artifact', 'gcGraceMs'], kind: 'int' },
  MEMSIDECAR_ARTIFACT_GC_INTERVAL_MS: { path: ['artifact', 'gcIntervalMs'], kind: 'int' },
  MEMSIDECAR_GRAPH_MAX_DEPTH: { path: ['graph', 'maxDepth'], kind: 'int' },
  MEMSIDECAR_GRAPH_MAX_NODES: { path: ['graph', 'nodesLimit'], kind: 'int' },
  MEMSIDECAR_GRAPH_MAX_FAN_OUT: { path: ['graph', 'maxFanOut'], kind: 'int' },
};

/** Reads `--config FILE` / `MEMSIDECAR_CONFIG`, applies the environment, and validates the result. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.MEMSIDECAR_CONFIG): MemsidecarConfig {
  const raw: Record<string, unknown> = file ? readYaml(file) : {};
  for (const [name, { path, kind, fallback }] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (fallback && getPath(raw, path) !== undefined) continue;
    setPath(raw, path, kind === 'int' ? toInt(name, value) : kind === 'number' ? toNumber(name, value) : kind === 'bool' ? toBool(name, value) : kind === 'list' ? value.split(',').map((s) => s.trim()) : value);
  }
  const config = plainToInstance(MemsidecarConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new ConfigError(`invalid configuration:\n${errors.flatMap((e) => describe(e)).join('\n')}`);
  try {
    config.policy = parsePolicy(raw.policy);
  } catch (e) {
    throw new ConfigError(`invalid configuration:\n  ${(e as Error).message}`);
  }
  return config;
}

function readYaml(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${file} must hold a YAML mapping`);
  return parsed as Record<string, unknown>;
}

function getPath(source: Record<string, unknown>, path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined), source);
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function toBool(name: string, value: string): boolean {
  if (!/^(true|false)$/.test(value)) throw new ConfigError(`${name} must be true or false, got "${value}"`);
  return value === 'true';
}

function toInt(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function toNumber(name: string, value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new ConfigError(`${name} must be a number, got "${value}"`);
  return Number(value);
}

function describe(e: ValidationError, parent = ''): string[] {
  const path = parent ? `${parent}.${e.property}` : e.property;
  const own = Object.entries(e.constraints ?? {}).map(([kind, message]) =>
    kind === 'whitelistValidation' ? `  ${path}: unknown setting` : `  ${path}: ${message.replace(new RegExp(`^${e.property} `), '')}`,
  );
  return [...own, ...(e.children ?? []).flatMap((c) => describe(c, path))];
}
