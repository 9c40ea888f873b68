/**
 * A realistic mix of events, built the way the blocks build them (same subjects, same envelope and
 * data shapes, consistent per aggregate: kv versions, dense episodic cursors, lease fencing tokens,
 * session lifecycles), so a rebuild does the work it would do on a real log.
 */
import { randomUUID } from 'node:crypto';
import { aggregateSubject, type Block, type DomainEvent, type EventEnvelope } from '@memsidecar/core';
import type { ArtifactStoredData } from '@memsidecar/artifact';
import type { EpisodicEventAppendedData, EpisodicEventsExpiredData } from '@memsidecar/episodic';
import type { FactWrittenEvent, FactsAccessed, FactsTicked } from '@memsidecar/facts';
import type { KvValueDeletedData, KvValueSetData } from '@memsidecar/kv';
import type { LeaseData } from '@memsidecar/lease';
import type { RecordsDeleted, RecordsUpserted } from '@memsidecar/semantic';
import type { SessionData } from '@memsidecar/session';

const TENANTS = Array.from({ length: 10 }, (_, i) => `tenant-${i}`);
const NAMESPACES = ['agent.memory', 'notes', 'prefs', 'runs'];
const DIMENSION = 384;
const WORDS = 'deploy cache auth retry queue index vector billing search latency rollout budget schema tenant'.split(' ');

export interface BenchEvent {
  subject: string;
  envelope: EventEnvelope;
}

/** Deterministic pseudo-random numbers, so every run writes the same log. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Weights of each kind of event, per 1000. */
const MIX: [kind: string, perMille: number][] = [
  ['kv.set', 330],
  ['kv.delete', 30],
  ['episodic.append', 330],
  ['episodic.expire', 2],
  ['lease', 80],
  ['session', 80],
  ['semantic.upsert', 50],
  ['semantic.delete', 3],
  ['facts.write', 45],
  ['facts.access', 10],
  ['facts.tick', 10],
  ['artifact.store', 30],
];

export class EventMix {
  private readonly next = random(42);
  private readonly kinds: string[] = MIX.flatMap(([kind, n]) => Array<string>(n).fill(kind));
  private readonly base = Date.UTC(2026, 0, 1);
  private i = 0;
  private readonly kvVersions = new Map<string, number>();
  private readonly cursors = new Map<string, { last: number; expired: number; ids: string[] }>();
  private readonly leases = new Map<string, LeaseData>();
  private readonly sessions = new Map<string, SessionData>();
  private readonly openSessions: string[] = [];
  private readonly semanticVersions = new Map<string, number>();
  private readonly facts = new Map<string, { ids: string[]; turn: number }>();
  private readonly artifactVersions = new Map<string, { version: number; blob: string }>();
  private readonly vectors = Array.from({ length: 64 }, (_, k) => vector(random(k + 1)));

  /** The next event: its subject and envelope. */
  event(): BenchEvent {
    this.i++;
    const kind = this.kinds[Math.floor(this.next() * this.kinds.length)];
    const [block, envelope] = this.build(kind);
    return { subject: aggregateSubject('mem', { block, tenant: envelope.tenant, ns: envelope.ns, entity: envelope.entity }), envelope };
  }

  private pick<T>(items: T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  private at(): string {
    return new Date(this.base + this.i * 7).toISOString();
  }

  private words(n: number): string {
    return Array.from({ length: n }, () => this.pick(WORDS)).join(' ');
  }

  private envelope<E extends DomainEvent>(block: Block, type: E['type'], tenant: string, ns: string, entity: string, data: E['data'], sessionId?: string): EventEnvelope<E> {
    return {
      id: randomUUID(),
      type,
      v: 1,
      at: this.at(),
      tenant,
      agent: `agent-${this.i % 7}`,
      tokenId: `tok-${tenant}`,
      ...(sessionId ? { sessionId } : {}),
      block,
      ns,
      entity,
      // About a third of the writes carry an idempotency key, as retrying clients send them.
      ...(this.i % 3 === 0 ? { requestId: `req-${this.i}` } : {}),
      data,
    } as EventEnvelope<E>;
  }

  private build(kind: string): [Block, EventEnvelope] {
    const tenant = this.pick(TENANTS);
    const ns = this.pick(NAMESPACES);
    switch (kind) {
      case 'kv.set':
      case 'kv.delete':
        return ['kv', this.kv(kind, tenant, ns)];
      case 'episodic.append':
      case 'episodic.expire':
        return ['episodic', this.episodic(kind, tenant, ns)];
      case 'lease':
        return ['lease', this.lease(tenant, ns)];
      case 'session':
        return ['session', this.session(tenant)];
      case 'semantic.upsert':
      case 'semantic.delete':
        return ['semantic', this.semantic(kind, tenant, ns)];
      case 'artifact.store':
        return ['artifact', this.artifact(tenant, ns)];
      default:
        return ['facts', this.fact(kind, tenant, ns)];
    }
  }

  private kv(kind: string, tenant: string, ns: string): EventEnvelope {
    const key = `user-${Math.floor(this.next() * 5_000)}/${this.pick(['profile', 'prefs', 'state', 'plan'])}`;
    const id = `${tenant}/${ns}/${key}`;
    const version = (this.kvVersions.get(id) ?? 0) + 1;
    if (kind === 'kv.delete' && version > 1) {
      this.kvVersions.delete(id);
      return this.envelope<DomainEvent<'kv.value_deleted', KvValueDeletedData>>('kv', 'kv.value_deleted', tenant, ns, key, { version: version - 1 });
    }
    this.kvVersions.set(id, version);
    const at = this.at();
    const data: KvValueSetData = {
      value: { step: this.i, status: this.pick(['todo', 'doing', 'done']), note: this.words(8), tags: [this.pick(WORDS), this.pick(WORDS)] },
      version,
      createdAt: at,
      updatedAt: at,
      expiresAt: this.next() < 0.2 ? new Date(this.base + this.i * 7 + 3_600_000).toISOString() : null,
      metadata: this.next() < 0.3 ? { source: 'planner' } : null,
    };
    return this.envelope<DomainEvent<'kv.value_set', KvValueSetData>>('kv', 'kv.value_set', tenant, ns, key, data);
  }

  private episodic(kind: string, tenant: string, ns: string): EventEnvelope {
    const id = `${tenant}/${ns}`;
    const log = this.cursors.get(id) ?? { last: 0, expired: 0, ids: [] };
    this.cursors.set(id, log);
    if (kind === 'episodic.expire' && log.last - log.expired > 20) {
      const cursors = Array.from({ length: 10 }, (_, k) => log.expired + k + 1);
      log.expired += 10;
      return this.envelope<DomainEvent<'episodic.events_expired', EpisodicEventsExpiredData>>('episodic', 'episodic.events_expired', tenant, ns, 'log', {
        cursor: log.last,
        action: 'soft',
        cursors,
      });
    }
    const cursor = ++log.last;
    const eventId = randomUUID();
    log.ids.push(eventId);
    if (log.ids.length > 50) log.ids.shift();
    const supersedes = this.next() < 0.005 && log.ids.length > 1 ? [log.ids[log.ids.length - 2]] : [];
    const sessionId = this.openSessions.length ? this.pick(this.openSessions) : null;
    const data: EpisodicEventAppendedData = {
      cursor,
      eventId,
      type: this.pick(['message', 'tool_call', 'tool_result', 'observation']),
      payload: { text: this.words(20), tokens: 20 + (this.i % 300) },
      role: this.pick(['user', 'assistant', 'tool']),
      sessionId,
      metadata: this.next() < 0.5 ? { model: 'small', channel: this.pick(['chat', 'api']) } : null,
      dedupKey: this.next() < 0.05 ? `dedup-${this.i}` : null,
      supersedes,
      createdAt: this.at(),
    };
    return this.envelope<DomainEvent<'episodic.event_appended', EpisodicEventAppendedData>>('episodic', 'episodic.event_appended', tenant, ns, 'log', data, sessionId ?? undefined);
  }

  private lease(tenant: string, ns: string): EventEnvelope {
    const key = `job-${Math.floor(this.next() * 500)}`;
    const id = `${tenant}/${ns}/${key}`;
    const current = this.leases.get(id);
    const at = this.at();
    const expiresAt = new Date(this.base + this.i * 7 + 30_000).toISOString();
    if (current?.status === 'held') {
      const release = this.next() < 0.4;
      const data: LeaseData = { ...current, expiresAt: release ? current.expiresAt : expiresAt, status: release ? 'released' : 'held' };
      this.leases.set(id, data);
      return release
        ? this.envelope('lease', 'lease.released', tenant, ns, key, { ...data, reason: 'released' })
        : this.envelope('lease', 'lease.renewed', tenant, ns, key, data);
    }
    const data: LeaseData = {
      holderId: randomUUID(),
      holder: `worker-${this.i % 13}`,
      fencingToken: (current?.fencingToken ?? 0) + 1,
      acquiredAt: at,
      expiresAt,
      ttlMs: 30_000,
      metadata: null,
      sessionId: null,
      status: 'held',
    };
    this.leases.set(id, data);
    return this.envelope('lease', 'lease.acquired', tenant, ns, key, { ...data, takenOverFrom: null });
  }

  private session(tenant: string): EventEnvelope {
    const at = this.at();
    const open = this.openSessions.filter((s) => s.startsWith(`${tenant}/`));
    if (open.length < 5 || this.next() < 0.05) {
      const sessionId = randomUUID();
      const data: SessionData = {
        status: 'open',
        tokenHash: randomUUID().replace(/-/g, ''),
        parentSessionId: null,
        agent: `agent-${this.i % 7}`,
        heartbeatIntervalMs: 10_000,
        heartbeatTimeoutMs: 25_000,
        onOrphan: 'checkpoint_and_close',
        metadata: { task: this.pick(WORDS) },
        openedAt: at,
        lastHeartbeatAt: at,
        lastCheckpoint: null,
        closedAt: null,
        closeReason: null,
      };
      this.sessions.set(`${tenant}/${sessionId}`, data);
      this.openSessions.push(`${tenant}/${sessionId}`);
      return this.envelope('session', 'session.opened', tenant, 'default', sessionId, data, sessionId);
    }
    const key = this.pick(open);
    const sessionId = key.slice(tenant.length + 1);
    const state = this.sessions.get(key)!;
    const roll = this.next();
    if (roll < 0.1) {
      const data: SessionData = { ...state, status: 'closed', closedAt: at, closeReason: 'closed by holder' };
      this.sessions.delete(key);
      this.openSessions.splice(this.openSessions.indexOf(key), 1);
      return this.envelope('session', 'session.closed', tenant, 'default', sessionId, data, sessionId);
    }
    const data: SessionData =
      roll < 0.4 ? { ...state, lastHeartbeatAt: at, lastCheckpoint: { state: { step: this.i, summary: this.words(10) }, turn: this.i % 50, at } } : { ...state, lastHeartbeatAt: at };
    this.sessions.set(key, data);
    return this.envelope('session', roll < 0.4 ? 'session.checkpointed' : 'session.heartbeat_recorded', tenant, 'default', sessionId, data, sessionId);
  }

  private semantic(kind: string, tenant: string, ns: string): EventEnvelope {
    const settings = { embedder: 'external', dimension: DIMENSION };
    const at = this.at();
    const recordId = () => `doc-${Math.floor(this.next() * 20_000)}`;
    if (kind === 'semantic.delete') {
      const ids = [recordId()];
      const existed = ids.map((id) => this.semanticVersions.delete(`${tenant}/${ns}/${id}`));
      return this.envelope<RecordsDeleted>('semantic', 'semantic.records_deleted', tenant, ns, 'index', { ...settings, ids, existed, hard: false, at });
    }
    const records = Array.from({ length: this.next() < 0.7 ? 1 : 3 }, () => {
      const id = recordId();
      const version = (this.semanticVersions.get(`${tenant}/${ns}/${id}`) ?? 0) + 1;
      this.semanticVersions.set(`${tenant}/${ns}/${id}`, version);
      return {
        id,
        version,
        content: this.words(24),
        vector: this.pick(this.vectors),
        payload: { source: 'docs', page: this.i % 100 },
        metadata: { kind: this.pick(['faq', 'runbook', 'note']) },
        validFrom: at,
        validTo: null,
        supersedes: [],
        createdAt: at,
        updatedAt: at,
      };
    });
    return this.envelope<RecordsUpserted>('semantic', 'semantic.records_upserted', tenant, ns, 'index', { ...settings, records });
  }

  private artifact(tenant: string, ns: string): EventEnvelope {
    const id = `report-${Math.floor(this.next() * 2_000)}.json`;
    const previous = this.artifactVersions.get(`${tenant}/${ns}/${id}`);
    const version = (previous?.version ?? 0) + 1;
    const blob = `${tenant}/${ns}/${id}/${randomUUID()}`;
    this.artifactVersions.set(`${tenant}/${ns}/${id}`, { version, blob });
    const at = this.at();
    const data: ArtifactStoredData = {
      id,
      version,
      blob,
      size: 1_000 + (this.i % 100_000),
      sha256: randomUUID().replace(/-/g, '').repeat(2),
      contentType: 'application/json',
      metadata: { run: `run-${this.i % 50}` },
      createdAt: at,
      updatedAt: at,
      replacedBlob: previous?.blob ?? null,
    };
    return this.envelope('artifact', 'artifact.stored', tenant, ns, id, data);
  }

  private fact(kind: string, tenant: string, ns: string): EventEnvelope {
    const store = this.facts.get(`${tenant}/${ns}`) ?? { ids: [], turn: 0 };
    this.facts.set(`${tenant}/${ns}`, store);
    const at = this.at();
    if (kind === 'facts.access' && store.ids.length > 0) {
      return this.envelope<FactsAccessed>('facts', 'facts.accessed', tenant, ns, 'store', { ids: [this.pick(store.ids), this.pick(store.ids)], at });
    }
    if (kind === 'facts.tick') {
      store.turn++;
      return this.envelope<FactsTicked>('facts', 'facts.ticked', tenant, ns, 'store', { session: { id: 'main', lastTurn: store.turn, activeScopeId: null }, cooled: [], turn: store.turn });
    }
    const target = `${this.pick(WORDS)}.${this.pick(WORDS)}`;
    const id = randomUUID();
    const superseded = store.ids.length > 0 && this.next() < 0.2 ? [store.ids[store.ids.length - 1]] : [];
    store.ids = store.ids.filter((x) => !superseded.includes(x)).concat(id).slice(-200);
    const data: FactWrittenEvent['data'] = {
      fact: {
        id,
        type: this.pick(['C', 'D', 'V']),
        target,
        content: this.words(6),
        scopeId: null,
        status: 'active',
        coldReason: null,
        hash: id.slice(0, 16),
        turn: store.turn,
        createdAt: at,
        lastAccessedAt: null,
      },
      scope: null,
      session: { id: 'main', lastTurn: store.turn, activeScopeId: null },
      superseded,
      closedScope: null,
      cooled: [],
      relief: { merged: [], archived: [], pushed: [] },
      truncated: false,
      pressure: { pct: 12.5, level: 'ok' },
    };
    return this.envelope<FactWrittenEvent>('facts', 'facts.fact_written', tenant, ns, 'store', data);
  }
}

/** A unit-ish float32 vector, base64 as the semantic events carry it. */
function vector(next: () => number): string {
  const v = new Float32Array(DIMENSION);
  for (let k = 0; k < DIMENSION; k++) v[k] = next() * 2 - 1;
  return Buffer.from(v.buffer).toString('base64');
}
