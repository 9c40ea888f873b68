import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ALLOW_ALL, type Policy } from '@memsidecar/policy';
import { IsArray, IsBoolean, IsIn, IsNumber, IsObject, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, ValidateNested } from 'class-validator';

const TOKEN = /^[A-Za-z0-9_-]+$/;
const HOST_PORT = /^[^\s:]*:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

/** JWTs accepted beside PASETO tokens (RS256 or EdDSA); none without keys. */
export class JwtConfig {
  /** PEM (SPKI) public keys, RSA or Ed25519. */
  @IsArray()
  @IsString({ each: true })
  publicKeys: string[] = [];

  /** When set, a JWT's `iss` must equal it. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  issuer?: string;

  /** When set, a JWT's `aud` must be or include it. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  audience?: string;
}

export class AuthConfig {
  @IsIn(['token', 'none'])
  mode: 'token' | 'none' = 'token';

  /** Extra trusted verification keys (PEM or 64 hex characters), besides the data dir's own. */
  @IsArray()
  @IsString({ each: true })
  publicKeys: string[] = [];

  @ValidateNested()
  @Type(() => JwtConfig)
  jwt = new JwtConfig();
}

export class LimitsConfig {
  @IsInt()
  @Min(1024)
  maxValueBytes = 256 * 1024;

  @IsInt()
  @Min(1)
  @Max(1000)
  defaultListLimit = 100;

  @IsInt()
  @Min(1)
  @Max(100_000)
  maxListLimit = 1000;

  /** Upper bound for `minSeq` waits and read-your-writes waits. */
  @IsInt()
  @Min(1)
  maxWaitMs = 30_000;

  /** How long a read waits for the read models by default. */
  @IsInt()
  @Min(1)
  readWaitMs = 5_000;
}

/**
 * Payload sealing: each event's payload encrypted with its tenant and namespace's data key, so an
 * erasure can destroy the key instead of rewriting the log. `off` writes new events clear (for
 * measuring its cost); sealed events are still opened either way.
 */
export class EncryptionConfig {
  @IsIn(['on', 'off'])
  mode: 'on' | 'off' = 'on';

  /**
   * A file holding the master key (32 bytes, hex or base64) that wraps every data key in the key
   * bucket; every instance and memctl need the same file. Without it, data keys are stored as they are.
   */
  @IsOptional()
  @IsString()
  @MinLength(1)
  masterKeyFile?: string;
}

/** The request ledger: how long a `Mem-Request-Id` is honoured (a retry within it gets the original result). */
export class RequestsConfig {
  /** Seven days by default; at least an hour, well beyond JetStream's duplicate window. Clients must not resend older requests. */
  @IsInt()
  @Min(3_600_000)
  retentionMs = 7 * 24 * 3_600_000;
}

/** TLS of the gRPC listeners: a server certificate and key, and for mTLS the CA client certificates must chain to. */
export class GrpcTlsConfig {
  @IsOptional()
  @IsString()
  certFile?: string;

  @IsOptional()
  @IsString()
  keyFile?: string;

  @IsOptional()
  @IsString()
  clientCaFile?: string;

  @IsOptional()
  @IsBoolean()
  requireClientCert?: boolean;
}

export class GrpcConfig {
  @Matches(HOST_PORT, { message: 'must be host:port' })
  addr = '127.0.0.1:7777';

  /** A unix socket to serve on as well (mode 0660; a stale socket file is removed at start). */
  @IsOptional()
  @IsString()
  socket?: string;

  @ValidateNested()
  @Type(() => GrpcTlsConfig)
  tls = new GrpcTlsConfig();
}

/** Client TLS towards NATS: a private CA and, for mTLS, a client certificate and key (PEM files). */
export class NatsTlsConfig {
  @IsOptional()
  @IsString()
  caFile?: string;

  @IsOptional()
  @IsString()
  certFile?: string;

  @IsOptional()
  @IsString()
  keyFile?: string;
}

export class HttpConfig {
  @Matches(HOST_PORT, { message: 'must be host:port' })
  addr = '127.0.0.1:8080';
}

export class RemoteEmbedderConfig {
  @IsOptional()
  @IsString()
  baseUrl?: string;

  @IsOptional()
  @IsString()
  model?: string;

  /** Name of the environment variable holding the API key (never the key itself). */
  @IsOptional()
  @IsString()
  apiKeyEnv?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(16_384)
  dimensions?: number;
}

export class SemanticConfig {
  /** Embedder of namespaces that have none yet: `use-lite` (offline model), `hashing`, `openai` or `ollama`. */
  @IsIn(['use-lite', 'hashing', 'openai', 'ollama'])
  embedder: 'use-lite' | 'hashing' | 'openai' | 'ollama' = 'use-lite';

  @IsInt()
  @Min(0)
  cacheSize = 4096;

  @ValidateNested()
  @Type(() => RemoteEmbedderConfig)
  remote = new RemoteEmbedderConfig();
}

export class ArtifactConfig {
  /** `jetstream` (the object store bucket `<stream>_ARTIFACTS`) or `fs:/absolute/dir`. */
  @Matches(/^(jetstream|fs:\/.+)$/, { message: 'must be "jetstream" or "fs:/absolute/dir"' })
  store = 'jetstream';

  /** An upload with no append for this long is abandoned and expires. */
  @IsInt()
  @Min(1)
  uploadTtlMs = 3_600_000;

  /** How old an unreferenced blob must be before the collector removes it. */
  @IsInt()
  @Min(1)
  gcGraceMs = 600_000;

  /** Pause between collector rounds. */
  @IsInt()
  @Min(1)
  gcIntervalMs = 60_000;
}

export class FactsConfig {
  /** Longest fact content, in characters. */
  @IsInt()
  @Min(16)
  @Max(10_000)
  maxFactChars = 400;

  /** What happens to longer content: cut (and say `truncated`) or refuse with INVALID_ARGUMENT. */
  @IsIn(['truncate', 'reject'])
  overLong: 'truncate' | 'reject' = 'truncate';

  /** Capacity of a namespace's store, in characters of fact lines (the pressure gauge's 100 %). */
  @IsInt()
  @Min(100)
  capacityChars = 10_000;

  /** Upper bound of `facts.status`'s prompt block, in tokens (cl100k_base). */
  @IsInt()
  @Min(16)
  @Max(100_000)
  tokenBudget = 180;
}

/** Breadth-first traversal (`graph.traverse`): defaults a request without the field gets, and maxima it is clamped to. */
export class GraphConfig {
  @IsInt()
  @Min(1)
  @Max(100)
  defaultDepth = 2;

  @IsInt()
  @Min(1)
  @Max(100)
  maxDepth = 6;

  @IsInt()
  @Min(1)
  @Max(1_000_000)
  defaultMaxNodes = 100;

  /** The most nodes one traversal returns, whatever it asks for. */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  nodesLimit = 10_000;

  /** Edges followed from each node. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  defaultFanOut = 50;

  @IsInt()
  @Min(1)
  @Max(100_000)
  maxFanOut = 1000;
}

/** OpenTelemetry traces: one span per request, with the log append and read-model waits as children. */
export class TracingConfig {
  /**
   * `none` by default: without a collector there is nowhere useful to send spans, and the stdout
   * exporter would write a second line per request next to the access log.
   */
  @IsIn(['none', 'stdout', 'otlp'])
  exporter: 'none' | 'stdout' | 'otlp' = 'none';

  /** OTLP/HTTP base URL (`/v1/traces` is appended); `OTEL_EXPORTER_OTLP_ENDPOINT` when unset. */
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http:// or https:// URL' })
  otlpEndpoint = 'http://127.0.0.1:4318';

  /** Share of new traces recorded; a request whose caller sent a `traceparent` follows the caller's decision. */
  @IsNumber()
  @Min(0)
  @Max(1)
  sampleRatio = 1;
}

/** The service's whole configuration: YAML file, then environment variables, validated at boot. */
export class MemsidecarConfig {
  @IsOptional()
  @IsString()
  @MinLength(1)
  natsUrl?: string;

  @IsOptional()
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  databaseUrl?: string;

  @IsString()
  @MinLength(1)
  dataDir = './.memsidecar';

  @Matches(TOKEN, { message: 'must be one subject token of [A-Za-z0-9_-]' })
  subjectPrefix = 'mem';

  @ValidateNested()
  @Type(() => NatsTlsConfig)
  natsTls = new NatsTlsConfig();

  @Matches(TOKEN, { message: 'must be a stream name of [A-Za-z0-9_-]' })
  stream = 'MEMSIDECAR';

  @IsInt()
  @Min(1)
  @Max(5)
  streamReplicas = 1;

  @IsInt()
  @Min(120_000)
  duplicateWindowMs = 120_000;

  /** Queue group the NATS endpoints serve in, so instances share the load. */
  @Matches(TOKEN, { message: 'must be one subject token of [A-Za-z0-9_-]' })
  queueGroup = 'memsidecar';

  @IsIn(['debug', 'info', 'warn', 'error'])
  logLevel: 'debug' | 'info' | 'warn' | 'error' = 'info';

  /** How long a graceful shutdown may take before the process exits anyway. */
  @IsInt()
  @Min(1000)
  shutdownTimeoutMs = 15_000;

  @ValidateNested()
  @Type(() => AuthConfig)
  auth = new AuthConfig();

  @ValidateNested()
  @Type(() => LimitsConfig)
  limits = new LimitsConfig();

  @ValidateNested()
  @Type(() => RequestsConfig)
  requests = new RequestsConfig();

  @ValidateNested()
  @Type(() => EncryptionConfig)
  encryption = new EncryptionConfig();

  @ValidateNested()
  @Type(() => SemanticConfig)
  semantic = new SemanticConfig();

  @ValidateNested()
  @Type(() => FactsConfig)
  facts = new FactsConfig();

  @ValidateNested()
  @Type(() => ArtifactConfig)
  artifact = new ArtifactConfig();

  @ValidateNested()
  @Type(() => GraphConfig)
  graph = new GraphConfig();

  @ValidateNested()
  @Type(() => GrpcConfig)
  grpc = new GrpcConfig();

  @ValidateNested()
  @Type(() => HttpConfig)
  http = new HttpConfig();

  /** One JSON line per request (tenant, agent, token id, op, code, latency) on stdout, or none. */
  @IsIn(['stdout', 'off'])
  accessLog: 'stdout' | 'off' = 'stdout';

  @ValidateNested()
  @Type(() => TracingConfig)
  tracing = new TracingConfig();

  /** Ordered allow/deny/rate_limit/cap rules (libs/policy); validated by `parsePolicy` at load. */
  @IsOptional()
  @IsObject()
  policy: Policy = ALLOW_ALL;
}
