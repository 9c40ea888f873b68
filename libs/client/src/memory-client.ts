import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createBlockClients, type BlockClients, type SemanticSearchResult } from './blocks';
import { Caller, type CallOptions } from './caller';
import { parseClientConfig, type ClientConfig, type ClientConfigInput, type ClientLogger } from './config';
import { ClientConfigError, ClientShutDownError, type MemoryError } from './errors';
import { Session, type OpenSessionInput } from './session';
import { TransactionLog } from './transaction-log';
import { NatsTransport } from './transport';
import type { AbandonedWrite } from './turn-writer';
import { TurnRecorder, type TurnRecorderOptions } from './turns';

export interface MemoryClientOptions extends ClientConfigInput {
  /** Where warnings go; `console` by default. */
  logger?: ClientLogger;
  /** Data dir of an embedded service, for `<dir>/nats.url` when no URL is given (`MEMSIDECAR_DATA_DIR`, else `./.memsidecar`). */
  dataDir?: string;
  /** Called before each retry, with the pause it takes. */
  onRetry?: (op: string, attempt: number, delayMs: number, error: MemoryError) => void;
}

/** What `shutdown` could not do, instead of dropping it silently. */
export interface ShutdownReport {
  /** Buffered turns written by the final flush. */
  flushedTurns: number;
  /** Writes that had not completed when the time ran out: still in the transaction log if one is kept. */
  abandoned: AbandonedWrite[];
  /** Sessions closed (with their final checkpoint). */
  closedSessions: string[];
  /** Sessions that could not be closed in time; the service finds them orphaned. */
  unclosedSessions: string[];
  timedOut: boolean;
}

/**
 * The memsidecar client for agents: typed clients for every block over NATS, retries with bounded
 * session-derived jitter, sessions with heartbeats, buffered turn recording that survives session
 * switches and shutdown, and an optional transaction log that survives crashes.
 */
export class MemoryClient {
  readonly kv: BlockClients['kv'];
  readonly episodic: BlockClients['episodic'];
  readonly semantic: BlockClients['semantic'];
  readonly artifact: BlockClients['artifact'];
  readonly lease: BlockClients['lease'];
  readonly session: BlockClients['session'];
  readonly facts: BlockClients['facts'];
  readonly audit: BlockClients['audit'];

  private readonly sessions = new Set<Session>();
  private readonly recorders = new Set<TurnRecorder<unknown>>();
  private shuttingDown: Promise<ShutdownReport> | null = null;
  /** The jitter key when no session is open: stable for this client. */
  private readonly clientId = randomUUID();
  private currentSessionId: string | null = null;

  private constructor(
    readonly config: ClientConfig,
    readonly nc: NatsConnection,
    private readonly ownsConnection: boolean,
    readonly transport: NatsTransport,
    readonly caller: Caller,
    readonly outbox: TransactionLog | null,
    readonly logger: ClientLogger,
  ) {
    const blocks = createBlockClients((op, body, o) => this.call(op, body, o), (op, body, onItem, o) => this.stream(op, body, onItem, o));
    this.kv = blocks.kv;
    this.episodic = blocks.episodic;
    this.semantic = blocks.semantic;
    this.artifact = blocks.artifact;
    this.lease = blocks.lease;
    this.session = blocks.session;
    this.facts = blocks.facts;
    this.audit = blocks.audit;
  }

  /**
   * Connects with the given settings (validated: unknown keys are errors). Without `natsUrl` it uses
   * `MEMSIDECAR_NATS_URL`, else the embedded service's `nats.url`; without `token`, `MEMSIDECAR_TOKEN`.
   * With a transaction log, mutations a crash left unsettled are sent again first, in order.
   */
  static async connect(options: MemoryClientOptions = {}, nc?: NatsConnection): Promise<MemoryClient> {
    const { logger = console, dataDir, onRetry, ...settings } = options;
    const config = parseClientConfig(settings, logger);
    const connection = nc ?? (await connect({ servers: natsServers(config, dataDir).split(','), name: 'memsidecar-client', maxReconnectAttempts: -1, noAsyncTraces: true }));
    const token = config.token ?? process.env.MEMSIDECAR_TOKEN;
    const transport = new NatsTransport(connection, config.subjectPrefix, token, config.requestTimeoutMs);
    const outbox = config.transactionLog ? TransactionLog.open(config.transactionLog, logger) : null;
    let client: MemoryClient | null = null;
    const caller = new Caller(transport, config.retryPolicy, () => client?.jitterKey() ?? 'recovery', outbox, logger, onRetry);
    client = new MemoryClient(config, connection, nc === undefined, transport, caller, outbox, logger);
    try {
      await client.recover();
    } catch (e) {
      // What could not be sent stays in the log for the next start; nothing is left open.
      outbox?.close();
      if (nc === undefined) await connection.close().catch(() => undefined);
      throw e;
    }
    return client;
  }

  /** Runs any operation of the contract by name (the typed block clients call this). */
  call<T = unknown>(op: string, body: object, o: CallOptions = {}): Promise<T> {
    if (this.shuttingDown) return Promise.reject(new ClientShutDownError(op));
    return this.caller.call<T>(op, body, o);
  }

  /** Runs a streaming operation (`episodic.tail`, `artifact.read`), handing each item to `onItem`. */
  stream(op: string, body: object, onItem: (item: unknown) => void, o: CallOptions = {}): Promise<void> {
    if (this.shuttingDown) return Promise.reject(new ClientShutDownError(op));
    return this.caller.stream(op, body, onItem, o);
  }

  /** Opens a session on the service and keeps it alive with heartbeats until it is closed. */
  async openSession(input: OpenSessionInput = {}): Promise<Session> {
    this.assertOpen('session.open');
    const session = await Session.open(this, input, this.config.session, this.logger);
    if (this.shuttingDown) {
      // Shutdown began while it opened: it would not be closed, so leave it to the orphan detector.
      session.stopHeartbeats();
      throw new ClientShutDownError('session.open');
    }
    this.sessions.add(session);
    this.currentSessionId = session.sessionId;
    session.onEnd(() => this.sessions.delete(session));
    return session;
  }

  /** Buffered turn recording for an agent framework (see `TurnRecorder`). */
  turns<T = SemanticSearchResult>(options: TurnRecorderOptions<T>): TurnRecorder<T> {
    this.assertOpen('turns');
    const recorder = new TurnRecorder<T>(this, options, this.logger);
    this.recorders.add(recorder);
    this.currentSessionId = options.sessionId;
    recorder.onSessionSwitch((change) => (this.currentSessionId = change.sessionId));
    return recorder;
  }

  /**
   * Stops intake first (later calls fail with ClientShutDownError), flushes every turn buffer exactly
   * once, drains the writers, closes open sessions with their final checkpoint, all within
   * `timeoutMs`; reports what it could not do. Calling it again returns the same report.
   */
  shutdown(o: { timeoutMs?: number } = {}): Promise<ShutdownReport> {
    this.shuttingDown ??= this.runShutdown(o.timeoutMs ?? 5_000);
    return this.shuttingDown;
  }

  get isShutDown(): boolean {
    return this.shuttingDown !== null;
  }

  private async runShutdown(timeoutMs: number): Promise<ShutdownReport> {
    const deadline = Date.now() + timeoutMs;
    const report: ShutdownReport = { flushedTurns: 0, abandoned: [], closedSessions: [], unclosedSessions: [], timedOut: false };
    // Every recorder stops taking input at once, then they drain side by side against the same deadline.
    for (const r of await Promise.all([...this.recorders].map((recorder) => recorder.stop(deadline)))) {
      report.flushedTurns += r.flushedTurns;
      report.abandoned.push(...r.abandoned);
    }
    const signal = AbortSignal.timeout(Math.max(0, deadline - Date.now()));
    const sessions = [...this.sessions];
    const closed = await Promise.all(sessions.map((session) => session.close(undefined, { signal }).catch(() => false)));
    sessions.forEach((session, i) => {
      (closed[i] ? report.closedSessions : report.unclosedSessions).push(session.sessionId);
      session.stopHeartbeats();
    });
    report.timedOut = Date.now() >= deadline || report.abandoned.length > 0 || report.unclosedSessions.length > 0;
    for (const a of report.abandoned) this.logger.warn(`shutdown: could not write ${a.op}${a.sessionId ? ` of session ${a.sessionId}` : ''}${a.turns ? ` (${a.turns} turns)` : ''}${a.error ? `: ${a.error}` : ''}`);
    this.outbox?.close();
    if (this.ownsConnection) await this.nc.close().catch(() => undefined);
    return report;
  }

  private jitterKey(): string {
    return this.currentSessionId ?? this.clientId;
  }

  private assertOpen(what: string): void {
    if (this.shuttingDown) throw new ClientShutDownError(what);
  }

  /** Sends again, in order, what a crash left unsettled in the transaction log. */
  private async recover(): Promise<void> {
    const expired = this.outbox?.setAsideOlderThan(new Date(Date.now() - this.config.requestRetentionMs)) ?? [];
    if (expired.length > 0) {
      this.logger.warn(
        `transaction log: ${expired.length} unacknowledged mutation(s) are older than the service keeps request ids ` +
          `(${this.config.requestRetentionMs} ms); sending them again could apply them twice, so they are kept in ${this.outbox!.expiredPath} instead`,
      );
    }
    const pending = this.outbox?.pending() ?? [];
    if (pending.length === 0) return;
    this.logger.warn(`transaction log: sending ${pending.length} unacknowledged mutation(s) again`);
    for (const entry of pending) await this.caller.resend(entry);
    this.outbox!.compact();
  }
}

function natsServers(config: ClientConfig, dataDir?: string): string {
  if (config.natsUrl) return config.natsUrl;
  if (process.env.MEMSIDECAR_NATS_URL) return process.env.MEMSIDECAR_NATS_URL;
  const file = join(resolve(dataDir ?? process.env.MEMSIDECAR_DATA_DIR ?? '.memsidecar'), 'nats.url');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new ClientConfigError(`no NATS URL: set natsUrl or MEMSIDECAR_NATS_URL, or start the service (it writes ${file})`);
}
