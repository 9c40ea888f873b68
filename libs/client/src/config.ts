import { z } from 'zod';
import { ClientConfigError } from './errors';

/** Where the client's warnings go (one line each); `console` by default. */
export interface ClientLogger {
  warn(message: string): void;
}

export const MAX_RETRIES_CLAMP = 5;
export const CAP_DELAY_S_CLAMP = 30;

const sessionSchema = z.strictObject({
  heartbeatIntervalS: z.number().positive().default(10),
  heartbeatTimeoutS: z.number().positive().default(25),
  onOrphan: z.enum(['checkpoint_and_close', 'abort_quietly']).default('checkpoint_and_close'),
  /** Deprecated: the heartbeat timeout in milliseconds; `heartbeatTimeoutS` replaces it. */
  timeoutMs: z.number().int().positive().optional(),
});

const retrySchema = z.strictObject({
  maxRetries: z.number().int().min(0).default(3),
  baseDelayMs: z.number().min(0).default(200),
  capDelayS: z.number().positive().default(30),
  jitterFactor: z.number().min(0).max(1).default(0.25),
});

const configSchema = z.strictObject({
  /** NATS server(s); default: `MEMSIDECAR_NATS_URL`, else the embedded service's `<data dir>/nats.url`. */
  natsUrl: z.string().min(1).optional(),
  /** Capability token; default: `MEMSIDECAR_TOKEN`. */
  token: z.string().min(1).optional(),
  /** First token of the service's subjects. */
  subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+$/).default('mem'),
  /** How long one attempt waits for its reply. */
  requestTimeoutMs: z.number().int().positive().default(10_000),
  session: sessionSchema.default(sessionSchema.parse({})),
  retryPolicy: retrySchema.default(retrySchema.parse({})),
  /** Path of the append-only JSONL outbox of mutations; off when unset. */
  transactionLog: z.string().min(1).optional(),
  /**
   * How long the service honours a request id (its `MEMSIDECAR_REQUEST_RETENTION_MS`, 7 days by
   * default). An outbox entry older than this is not sent again, since the service could no longer
   * tell whether it was applied: it is set aside in `<transactionLog>.expired`.
   */
  requestRetentionMs: z.number().int().min(3_600_000).default(7 * 24 * 3_600_000),
});

export type ClientConfigInput = z.input<typeof configSchema>;

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  capDelayMs: number;
  jitterFactor: number;
}

export interface SessionDefaults {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  onOrphan: 'checkpoint_and_close' | 'abort_quietly';
}

export interface ClientConfig {
  natsUrl?: string;
  token?: string;
  subjectPrefix: string;
  requestTimeoutMs: number;
  session: SessionDefaults;
  retryPolicy: RetryPolicy;
  transactionLog?: string;
  requestRetentionMs: number;
}

/**
 * Validates a client configuration. Unknown or misspelled keys (`on_orhpan`) are errors naming
 * them; values over a clamp are lowered with one warning each; the deprecated `timeoutMs` is
 * honoured with one warning naming its replacement.
 */
export function parseClientConfig(input: unknown, logger: ClientLogger = console): ClientConfig {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.join('.');
    const unknown = issue.code === 'unrecognized_keys' ? `unknown setting ${issue.keys.map((k) => (at ? `${at}.${k}` : k)).join(', ')}` : `${at || 'config'}: ${issue.message}`;
    throw new ClientConfigError(`invalid memory client configuration: ${unknown}`);
  }
  const c = parsed.data;
  let maxRetries = c.retryPolicy.maxRetries;
  if (maxRetries > MAX_RETRIES_CLAMP) {
    logger.warn(`retryPolicy.maxRetries ${maxRetries} is clamped to ${MAX_RETRIES_CLAMP}`);
    maxRetries = MAX_RETRIES_CLAMP;
  }
  let capDelayS = c.retryPolicy.capDelayS;
  if (capDelayS > CAP_DELAY_S_CLAMP) {
    logger.warn(`retryPolicy.capDelayS ${capDelayS} is clamped to ${CAP_DELAY_S_CLAMP}`);
    capDelayS = CAP_DELAY_S_CLAMP;
  }
  let heartbeatTimeoutMs = c.session.heartbeatTimeoutS * 1000;
  if (c.session.timeoutMs !== undefined) {
    const given = (input as { session?: Record<string, unknown> }).session?.heartbeatTimeoutS !== undefined;
    logger.warn(`session.timeoutMs is deprecated: use session.heartbeatTimeoutS${given ? ' (given, and it wins)' : ''}`);
    if (!given) heartbeatTimeoutMs = c.session.timeoutMs;
  }
  const heartbeatIntervalMs = c.session.heartbeatIntervalS * 1000;
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) {
    throw new ClientConfigError(`invalid memory client configuration: session.heartbeatTimeoutS must exceed session.heartbeatIntervalS`);
  }
  return {
    natsUrl: c.natsUrl,
    token: c.token,
    subjectPrefix: c.subjectPrefix,
    requestTimeoutMs: c.requestTimeoutMs,
    session: { heartbeatIntervalMs, heartbeatTimeoutMs, onOrphan: c.session.onOrphan },
    retryPolicy: { maxRetries, baseDelayMs: c.retryPolicy.baseDelayMs, capDelayMs: capDelayS * 1000, jitterFactor: c.retryPolicy.jitterFactor },
    transactionLog: c.transactionLog,
    requestRetentionMs: c.requestRetentionMs,
  };
}
