import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { aggregateSubject, isMemError, ManualClock, type Block, type ErrorBody, type StoredEvent } from '@memsidecar/core';
import { issueToken, type IssueRequest } from '@memsidecar/auth';
import { loadConfig } from '@memsidecar/config';
import { AggregateRuntime, EventCodec, InMemoryEventLog, InMemorySubjectKeys, PayloadCipher, installUpcasters } from '@memsidecar/event-store';
import { PolicyEngine } from '@memsidecar/policy';
import { AppliedRequest, BOOKKEEPING_MIGRATIONS, Database, ProjectionCheckpoint, ProjectionRunner, ReadModels, RequestLedgerRetention, SubjectErasure, withRequestLedger } from '@memsidecar/projections';
import { Authenticator, Dispatcher, assertCatalogued, type BlockDefinition, type BlockDependencies, type BlockWorker, type RequestHeaders } from '@memsidecar/api';

export interface InProcessOptions {
  blocks: BlockDefinition[];
  /** Environment the configuration is read from, as the service reads it (`MEMSIDECAR_*`). */
  env?: Record<string, string>;
  /** Starts at the wall-clock time; moves only when the spec moves it. */
  clock?: ManualClock;
  /** A Postgres database for the read models (e.g. `createTestDatabase().url`); PGlite in memory without one. */
  databaseUrl?: string;
}

/** Who calls: a token with these claims is issued for the call. `null` sends no token at all. */
export type Caller = Partial<IssueRequest> | null;

export interface WhenOptions {
  /** The tenant `default` with every op on every namespace unless told otherwise. */
  principal?: Caller;
  requestId?: string;
  sessionId?: string;
  sessionToken?: string;
}

/** An event to put in the log before the request: an aggregate's event in its envelope, the rest defaulted. */
export interface GivenEvent {
  block: Block;
  ns: string;
  entity: string;
  type: string;
  data: unknown;
  v?: number;
  tenant?: string;
  agent?: string;
  requestId?: string;
}

/** What a request came to: the reply (or the contract's error) and the events it appended, in order. */
export type Outcome<T = any> = ({ ok: true; body: T; error?: undefined } | { ok: false; body?: undefined; error: ErrorBody }) & { events: StoredEvent[] };

/** What a streaming request came to: the items sent, the error that ended it if any, and the events it appended. */
export interface StreamOutcome<T = any> {
  items: T[];
  error?: ErrorBody;
  events: StoredEvent[];
}

/**
 * The service's write and read path in one process: the dispatcher, the blocks' operations, the
 * aggregate runtime and the read models' runners, over an in-memory event log and PGlite in memory,
 * on a manual clock. For behaviour specs that need no transport and no restart:
 * `given(events)` → `when(op, body)` → expect on the outcome's reply and events.
 */
export class InProcessService {
  private constructor(
    readonly log: InMemoryEventLog,
    readonly db: Database,
    readonly readModels: ReadModels,
    readonly dispatcher: Dispatcher,
    readonly deps: BlockDependencies,
    readonly clock: ManualClock,
    private readonly signingKey: KeyObject,
    private readonly workers: BlockWorker[],
    /** Sweeps the request ledger on the manual clock: advancing it past the retention deletes old request ids. */
    readonly retention: RequestLedgerRetention,
    /** Every request that failed with an error outside the contract (INTERNAL), with its stack. */
    readonly internalErrors: string[],
  ) {}

  static async start(o: InProcessOptions): Promise<InProcessService> {
    installUpcasters(...o.blocks.flatMap((b) => (b.upcasters ? [b.upcasters] : [])));
    const config = loadConfig({ MEMSIDECAR_AUTH: 'token', ...o.env }, undefined);
    const clock = o.clock ?? new ManualClock();
    const keys = new InMemorySubjectKeys();
    const log = new InMemoryEventLog({ prefix: config.subjectPrefix, clock, codec: new EventCodec(new PayloadCipher(keys), config.encryption.mode === 'on') });
    const db = await Database.open({
      url: o.databaseUrl,
      pgliteDir: 'memory://',
      entities: [ProjectionCheckpoint, AppliedRequest, ...o.blocks.flatMap((b) => b.entities)],
      migrations: [...BOOKKEEPING_MIGRATIONS, ...o.blocks.flatMap((b) => b.migrations)],
    });
    const logger = { log: () => {}, warn: () => {}, error: (m: string) => console.error(m) };
    const runners = withRequestLedger(o.blocks.flatMap((b) => b.projections)).map((p) => new ProjectionRunner(p, log, db, logger));
    const readModels = new ReadModels(runners, db, config.limits.readWaitMs, { log, logger });
    await readModels.start();
    const runtime = new AggregateRuntime(log, readModels, { prefix: config.subjectPrefix, cachedAggregates: 10_000, conflictRetries: 20, rememberedRequests: 10_000 }, (block, seq) =>
      readModels.noteAppended(block, seq),
    );
    readModels.observeLog((event) => runtime.observe(event));
    const erasure = new SubjectErasure({ store: log, keys, db, readModels, projections: runners.map((r) => r.projection), waitMs: config.limits.maxWaitMs });
    erasure.onForget((subject) => runtime.forget(subject.tenant, subject.ns));
    const deps: BlockDependencies = { runtime, readModels, db, store: log, limits: config.limits, erasure, config, instanceId: 'in-process', clock, logger };
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const internalErrors: string[] = [];
    const dispatcher = new Dispatcher(new Authenticator('token', [publicKey]), clock, {
      observe: () => {},
      internalError: (op, _id, e) => void internalErrors.push(`${op}: ${(e as Error)?.stack ?? String(e)}`),
    }, new PolicyEngine(config.policy));
    for (const block of o.blocks) {
      const operations = block.operations(deps);
      assertCatalogued(operations);
      dispatcher.register(operations);
    }
    const guard = o.blocks.find((b) => b.sessionGuard)?.sessionGuard?.(deps);
    if (guard) dispatcher.useSessionGuard(guard);
    const workers = o.blocks.flatMap((b) => b.workers?.(deps) ?? []);
    for (const w of workers) w.start();
    const retention = new RequestLedgerRetention(db, clock, config.requests.retentionMs, { ...logger, warn: logger.error });
    retention.start();
    return new InProcessService(log, db, readModels, dispatcher, deps, clock, privateKey, workers, retention, internalErrors);
  }

  /**
   * Resolves once every loop that sleeps on the clock between rounds (the blocks' periodic workers
   * and the request ledger's sweep) is asleep, and `alsoSleeping` more sleeps besides (a waiting
   * acquire, a tail's deadline): after it, moving the clock wakes exactly what is due.
   */
  idle(alsoSleeping = 0): Promise<void> {
    const loops = this.workers.filter((w) => w.sleepsOnClock).length + 1;
    return this.clock.whenSleeping(loops + alsoSleeping);
  }

  /** Appends events as they would have been appended before, and waits until the read models hold them. */
  async given(events: GivenEvent[]): Promise<StoredEvent[]> {
    const stored: StoredEvent[] = [];
    for (const e of events) {
      const tenant = e.tenant ?? 'default';
      const subject = aggregateSubject(this.log.prefix, { block: e.block, tenant, ns: e.ns, entity: e.entity });
      const envelope = {
        id: `given-${this.log.size + 1}`,
        type: e.type,
        v: e.v ?? 1,
        at: this.clock.now().toISOString(),
        tenant,
        agent: e.agent ?? 'given',
        block: e.block,
        ns: e.ns,
        entity: e.entity,
        data: e.data,
        ...(e.requestId ? { requestId: e.requestId } : {}),
      };
      const { seq } = await this.log.append(subject, envelope, { expectedLastSubjectSeq: await this.log.lastSeq(subject) });
      stored.push({ ...envelope, seq } as StoredEvent);
    }
    await this.readModels.catchUp(10_000);
    return stored;
  }

  /** Sends one request through the dispatcher, as any transport would; a streaming operation's body is its items in order. */
  async when<T = any>(op: string, body: Record<string, unknown> | string, o: WhenOptions = {}): Promise<Outcome<T>> {
    const before = this.log.size;
    if (this.dispatcher.isStreaming(op)) {
      const { items, error, events } = await this.stream<T>(op, body, o);
      return error ? { ok: false, error, events } : { ok: true, body: items as T, events };
    }
    const reply = await this.dispatcher.dispatch(op, body, this.headers(o), 'in-process').then(
      (value) => ({ ok: true as const, body: value as T }),
      (e: unknown) => {
        if (!isMemError(e)) throw e;
        return { ok: false as const, error: e.toBody() };
      },
    );
    const events: StoredEvent[] = [];
    for await (const e of this.log.read({ fromSeq: before + 1 })) events.push(e);
    return { ...reply, events };
  }

  /**
   * Runs a streaming operation (e.g. `episodic.tail`) through the dispatcher, as any transport
   * would: the items it sent, in order, the contract's error if it ended in one, and the events
   * appended meanwhile. `onItem` sees each item as it is handed over (e.g. to write more while the
   * stream is live).
   */
  async stream<T = any>(op: string, body: Record<string, unknown> | string, o: WhenOptions & { onItem?: (item: T, index: number) => void } = {}): Promise<StreamOutcome<T>> {
    const before = this.log.size;
    const items: T[] = [];
    const sink = async (item: unknown) => {
      items.push(item as T);
      o.onItem?.(item as T, items.length - 1);
    };
    const error = await this.dispatcher.dispatchStream(op, body, this.headers(o), 'in-process', sink).then(
      () => undefined,
      (e: unknown) => {
        if (!isMemError(e)) throw e;
        return e.toBody();
      },
    );
    const events: StoredEvent[] = [];
    for await (const e of this.log.read({ fromSeq: before + 1 })) events.push(e);
    return { items, ...(error ? { error } : {}), events };
  }

  /** Like `when`, for setup: the reply's body, or an error naming what went wrong. */
  async ok<T = any>(op: string, body: Record<string, unknown>, o: WhenOptions = {}): Promise<T> {
    const outcome = await this.when<T>(op, body, o);
    if (!outcome.ok) throw new Error(`${op} failed: ${JSON.stringify(outcome.error)}`);
    return outcome.body;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
    await this.retention.stop();
    await this.readModels.stop();
    await this.db.close();
  }

  private headers(o: WhenOptions): RequestHeaders {
    return { authorization: this.authorization(o.principal), requestId: o.requestId, sessionId: o.sessionId, sessionToken: o.sessionToken };
  }

  private authorization(caller: Caller | undefined): string | undefined {
    if (caller === null) return undefined;
    const claims: IssueRequest = { tenant: 'default', namespaces: ['*'], ops: ['*'], ...caller };
    return `Bearer ${issueToken(claims, this.signingKey, this.clock.now())}`;
  }
}

/** Starts an in-process service for a spec file; close it in `afterAll`. */
export const inProcessService = (o: InProcessOptions): Promise<InProcessService> => InProcessService.start(o);
