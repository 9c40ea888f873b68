import { requestIdReused, LruMap, MemError, aggregateSubject, encodeToken, isMemError, newId, type AggregateAddress, type Block, type CommandMeta, type Decider, type DomainEvent, type EventEnvelope, type StoredEvent } from '@memsidecar/core';
import { ConcurrencyConflict, type EventLog } from './event-log';

/**
 * A kind of aggregate. `history: 'last-event'` means every event carries the aggregate's whole
 * state, so it is rebuilt from the newest event alone; `'full'` folds every event of the subject.
 */
export interface AggregateType<S, C, E extends DomainEvent> {
  block: Block;
  decider: Decider<S, C, E>;
  history: 'last-event' | 'full';
  /**
   * Optional I/O before each decision (e.g. a look-up in a read model that the state is too big to
   * hold). It sees the state and sequence the decision will be based on and returns the command to
   * decide; it runs inside the aggregate's mailbox, again after every reload.
   */
  prepare?(command: C, current: { state: S; seq: number }, address: Omit<AggregateAddress, 'block'>): Promise<C>;
}

export interface Handled<E extends DomainEvent = DomainEvent> {
  /** The event the command appended (or, for a repeated request id, the original one); null if none. */
  event: StoredEvent<E> | null;
  /** True when the request id had been applied before and nothing new was written. */
  replayed: boolean;
}

/** Where earlier applications of a request id can be found after the in-memory window. */
export interface RequestLedger {
  /** Sequence of the event the request produced, once the ledger holds the log up to `atLeastSeq`. */
  find(tenant: string, requestId: string, atLeastSeq: number): Promise<number | null>;
}

export interface RuntimeOptions {
  prefix: string;
  cachedAggregates: number;
  conflictRetries: number;
  rememberedRequests: number;
}

interface Cached<S> {
  state: S;
  seq: number;
}

/**
 * Runs commands against aggregates like actors: one command at a time per aggregate, state cached
 * and rebuilt from the log when missing or stale, appends guarded by the expected last sequence.
 */
export class AggregateRuntime {
  private readonly mailboxes = new Map<string, Promise<unknown>>();
  private readonly cache: LruMap<string, Cached<unknown>>;
  private readonly recentRequests: LruMap<string, number>;
  /** The aggregate types commands have named, by block: what `observe` needs to follow another writer. */
  private readonly types = new Map<Block, AggregateType<unknown, unknown, DomainEvent>>();

  constructor(
    private readonly store: EventLog,
    private readonly ledger: RequestLedger,
    private readonly options: RuntimeOptions,
    private readonly onAppended: (block: Block, seq: number) => void = () => {},
  ) {
    this.cache = new LruMap(options.cachedAggregates);
    this.recentRequests = new LruMap(options.rememberedRequests);
  }

  handle<S, C, E extends DomainEvent>(
    type: AggregateType<S, C, E>,
    address: Omit<AggregateAddress, 'block'>,
    command: C,
    meta: CommandMeta,
  ): Promise<Handled<E>> {
    const subject = aggregateSubject(this.options.prefix, { ...address, block: type.block });
    if (!this.types.has(type.block)) this.types.set(type.block, type as AggregateType<unknown, unknown, DomainEvent>);
    return this.enqueue(subject, () => this.run(type, subject, address, command, meta));
  }

  /**
   * An event of the log, as the read models' feed delivers it. One that another writer (another
   * instance) appended after the cached state makes that state stale: the cache follows it (an
   * aggregate rebuilt from its last event) or forgets it, so the next command decides on current
   * state instead of losing the compare-and-set and loading it then.
   */
  observe(event: StoredEvent): void {
    const subject = aggregateSubject(this.options.prefix, event);
    const cached = this.cache.peek(subject);
    if (!cached || cached.seq >= event.seq) return;
    const type = this.types.get(event.block);
    if (type?.history === 'last-event') this.cache.replace(subject, { state: foldLast(type.decider, event), seq: event.seq });
    else this.cache.delete(subject);
  }

  /**
   * Drops every cached aggregate of a tenant (or of one of its namespaces) whose keys were
   * destroyed: their state holds what was erased.
   */
  forget(tenant: string, ns?: string): void {
    for (const subject of [...this.cache.keys()]) {
      const [, , , t, n] = subject.split('.');
      if (t === encodeToken(tenant) && (ns === undefined || n === encodeToken(ns))) this.cache.delete(subject);
    }
  }

  /** Runs `work` after every earlier command of the same aggregate has finished. */
  private enqueue<T>(subject: string, work: () => Promise<T>): Promise<T> {
    const previous = this.mailboxes.get(subject);
    const next = previous ? previous.then(work, work) : work();
    const settled: Promise<void> = next.then(
      () => this.release(subject, settled),
      () => this.release(subject, settled),
    );
    this.mailboxes.set(subject, settled);
    return next;
  }

  private release(subject: string, settled: Promise<unknown>): void {
    if (this.mailboxes.get(subject) === settled) this.mailboxes.delete(subject);
  }

  private async run<S, C, E extends DomainEvent>(
    type: AggregateType<S, C, E>,
    subject: string,
    address: Omit<AggregateAddress, 'block'>,
    command: C,
    meta: CommandMeta,
  ): Promise<Handled<E>> {
    const requestKey = meta.requestId ? `${encodeToken(meta.tenant)}:${meta.requestId}` : undefined;
    const original = (seq: number) => this.replayOriginal<E>(seq, type.block, address, meta);
    if (requestKey) {
      const seq = this.recentRequests.get(requestKey) ?? (await this.ledger.find(meta.tenant, meta.requestId!, 0));
      if (seq) return original(seq);
    }
    let current = await this.cached(type, subject);
    let fresh = false;
    // A refusal or a no-op is only trusted on state known to be current.
    const refresh = async (): Promise<boolean> => {
      if (fresh) return false;
      fresh = true;
      const reloaded = await this.refreshIfStale(type, subject, current);
      if (reloaded) current = reloaded;
      return reloaded !== null;
    };
    for (let attempt = 0; ; attempt++) {
      let event: E | null;
      try {
        const prepared = type.prepare ? await type.prepare(command, current, address) : command;
        event = type.decider.decide(prepared, current.state, meta);
      } catch (e) {
        if (!isMemError(e)) throw e;
        if (await refresh()) continue;
        if (requestKey) {
          const seq = await this.ledger.find(meta.tenant, meta.requestId!, current.seq);
          if (seq) return original(seq);
        }
        throw e;
      }
      if (event === null) {
        if (await refresh()) continue;
        return { event: null, replayed: false };
      }
      const envelope = this.envelope(type.block, address, event, meta);
      try {
        const appended = await this.store.append(subject, envelope, { expectedLastSubjectSeq: current.seq, msgId: requestKey });
        if (appended.duplicate) {
          this.cache.delete(subject);
          return original(appended.seq);
        }
        this.cache.set(subject, { state: type.decider.evolve(current.state, event), seq: appended.seq });
        if (requestKey) this.recentRequests.set(requestKey, appended.seq);
        this.onAppended(type.block, appended.seq);
        return { event: { ...envelope, seq: appended.seq } as StoredEvent<E>, replayed: false };
      } catch (e) {
        if (!(e instanceof ConcurrencyConflict)) throw e;
        if (attempt >= this.options.conflictRetries) {
          this.cache.delete(subject);
          throw new MemError('UNAVAILABLE', `too much contention on one ${type.block} entry; nothing was applied`, 'CONTENTION');
        }
        current = await this.load(type, subject);
        fresh = true;
      }
    }
  }

  private async cached<S, C, E extends DomainEvent>(type: AggregateType<S, C, E>, subject: string): Promise<Cached<S>> {
    return (this.cache.get(subject) as Cached<S> | undefined) ?? (await this.load(type, subject));
  }

  /** Returns fresh state when another instance appended since it was cached, else null. */
  private async refreshIfStale<S, C, E extends DomainEvent>(
    type: AggregateType<S, C, E>,
    subject: string,
    current: Cached<S>,
  ): Promise<Cached<S> | null> {
    const lastSeq = await this.store.lastSeq(subject);
    return lastSeq === current.seq ? null : this.load(type, subject);
  }

  private async load<S, C, E extends DomainEvent>(type: AggregateType<S, C, E>, subject: string): Promise<Cached<S>> {
    let state = type.decider.initialState();
    let seq = 0;
    if (type.history === 'last-event') {
      const last = await this.store.last(subject);
      if (last) [state, seq] = [foldLast(type.decider, last), last.seq];
    } else {
      for await (const stored of this.store.read({ filter: subject })) {
        // An erased event's state is gone: the aggregate continues from what came before it.
        [state, seq] = [stored.erased ? state : type.decider.evolve(state, stored as unknown as E), stored.seq];
      }
    }
    const loaded = { state, seq };
    this.cache.set(subject, loaded);
    return loaded;
  }

  private async replayOriginal<E extends DomainEvent>(
    seq: number,
    block: Block,
    address: Omit<AggregateAddress, 'block'>,
    meta: CommandMeta,
  ): Promise<Handled<E>> {
    const original = await this.store.at(seq);
    if (!original || original.tenant !== meta.tenant || original.requestId !== meta.requestId) {
      throw new MemError('INTERNAL', `request ${meta.requestId} maps to an event that is not its own (seq ${seq})`);
    }
    if (original.block !== block || original.ns !== address.ns || original.entity !== address.entity) {
      throw requestIdReused();
    }
    if (original.erased) throw new MemError('FAILED_PRECONDITION', `request ${meta.requestId} was applied, and what it wrote has since been erased`);
    return { event: original as StoredEvent<E>, replayed: true };
  }

  private envelope<E extends DomainEvent>(
    block: Block,
    address: Omit<AggregateAddress, 'block'>,
    event: E,
    meta: CommandMeta,
  ): EventEnvelope<E> {
    // A generic E cannot be narrowed: the envelope of exactly this event is built field by field.
    return {
      id: newId(),
      type: event.type,
      v: event.v,
      at: meta.now.toISOString(),
      tenant: meta.tenant,
      agent: meta.agent,
      block,
      ns: address.ns,
      entity: address.entity,
      data: event.data,
      ...(meta.tokenId ? { tokenId: meta.tokenId } : {}),
      ...(meta.sessionId ? { sessionId: meta.sessionId } : {}),
      ...(meta.requestId ? { requestId: meta.requestId } : {}),
      ...(meta.transport ? { transport: meta.transport } : {}),
      ...(meta.trust ? { trust: meta.trust } : {}),
      ...(meta.derivedFrom?.length ? { derivedFrom: meta.derivedFrom } : {}),
    } as EventEnvelope<E>;
  }
}

/** State from an aggregate's newest event alone; an erased one leaves the initial state. */
function foldLast<S, E extends DomainEvent>(decider: Decider<S, unknown, E>, last: StoredEvent): S {
  return last.erased ? decider.initialState() : decider.evolve(decider.initialState(), last as unknown as E);
}
