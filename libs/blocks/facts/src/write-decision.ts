import { MemError } from '@memsidecar/core';
import { PRESSURE, gauge, levelOf, type Fact, type FactSession, type GaugeSettings, type Scope } from './facts.model';
import type { ParsedFact } from './notation';
import { applyRelief, relieve, type Relief } from './pressure';

export interface WriteFact {
  type: 'WriteFact';
  /** Ids the decision may use, passed in so the decision stays pure. */
  factId: string;
  newScopeId: string;
  parsed: ParsedFact;
  hash: string;
  scopeLabel?: string;
  sessionId?: string;
}

/** What the decision needs from the read model, looked up at the sequence it is based on. */
export interface WriteView {
  /** Every fact that counts against capacity (active, and cold facts of ended scopes). */
  counted: Fact[];
  /** A live fact (active or cold) with the same line, if any. */
  duplicate: Fact | null;
  /** The scope named by the write, if it exists. */
  labelled: Scope | null;
  /** The session's current scope, if it has one. */
  sessionScope: Scope | null;
  session: FactSession | null;
  settings: GaugeSettings;
}

export interface FactWritten {
  fact: Fact;
  scope: (Scope & { change: 'created' | 'reopened' | 'touched' }) | null;
  session: FactSession | null;
  /** Facts this one replaced: same type, target and scope, or every fact on the target for `~`. */
  superseded: string[];
  /** Set when `✓` closed the scope it was written in; its active facts went cold. */
  closedScope: string | null;
  cooled: string[];
  relief: Relief;
}

export type WriteOutcome = { kind: 'duplicate'; fact: Fact } | { kind: 'written'; data: FactWritten };

const memoryFull = (pct: number) =>
  new MemError('RESOURCE_EXHAUSTED', `memory is full (${pct}%): purge superseded and archived facts (facts.purge) or close scopes`, 'MEMORY_FULL', { pct });

/** Which scope an unscoped write lands in: the session's, while it is open; otherwise none (global). */
function resolveScope(c: WriteFact, v: WriteView): FactWritten['scope'] {
  const turn = v.session?.lastTurn ?? 0;
  if (c.scopeLabel) {
    if (!v.labelled) return { id: c.newScopeId, label: c.scopeLabel, status: 'active', currentTurn: turn, change: 'created' };
    return { ...v.labelled, status: 'active', currentTurn: turn, change: v.labelled.status === 'active' ? 'touched' : 'reopened' };
  }
  if (v.sessionScope?.status === 'active') return { ...v.sessionScope, currentTurn: turn, change: 'touched' };
  return null;
}

/**
 * One `facts.write`: an identical line returns the existing fact; otherwise pressure is relieved,
 * a full store refuses, the fact lands in its scope, replaces what it contradicts, `✓` closes the
 * scope, and pressure is relieved again.
 */
export function decideWrite(c: WriteFact, v: WriteView, now: Date): WriteOutcome {
  if (v.duplicate) return { kind: 'duplicate', fact: v.duplicate };
  const before = relieve(v.counted, v.settings, now);
  let facts = applyRelief(v.counted, before);
  const { pct } = gauge(facts, v.settings);
  if (pct >= PRESSURE.full) throw memoryFull(pct);

  const scope = resolveScope(c, v);
  const scopeId = scope?.id ?? null;
  const at = now.toISOString();
  const fact: Fact = {
    id: c.factId,
    type: c.parsed.type,
    target: c.parsed.target,
    content: c.parsed.content,
    scopeId,
    status: 'active',
    coldReason: null,
    hash: c.hash,
    turn: v.session?.lastTurn ?? 0,
    createdAt: at,
    lastAccessedAt: null,
  };
  const replaces = (f: Fact) =>
    f.status === 'active' &&
    f.target === fact.target &&
    (fact.type === '~' ? f.scopeId === scopeId || f.scopeId === null : f.type === fact.type && f.scopeId === scopeId);
  const superseded = facts.filter(replaces).map((f) => f.id);
  facts = [...facts.filter((f) => !superseded.includes(f.id)), fact];

  let closedScope: string | null = null;
  let cooled: string[] = [];
  if (fact.type === '✓' && scope) {
    closedScope = scope.id;
    cooled = facts.filter((f) => f.scopeId === scope.id && f.status === 'active').map((f) => f.id);
    facts = facts.map((f) => (cooled.includes(f.id) ? { ...f, status: 'cold', coldReason: 'scope' } : f));
  }
  const after = relieve(facts, v.settings, now);
  const session: FactSession | null = c.sessionId
    ? { id: c.sessionId, lastTurn: v.session?.lastTurn ?? 0, activeScopeId: closedScope ? null : scopeId }
    : null;
  return {
    kind: 'written',
    data: {
      fact,
      scope: scope && closedScope ? { ...scope, status: 'closed' } : scope,
      session,
      superseded,
      closedScope,
      cooled,
      relief: { merged: [...before.merged, ...after.merged], archived: [...before.archived, ...after.archived], pushed: [...before.pushed, ...after.pushed] },
    },
  };
}

/** The gauge a write leaves behind, for the reply. */
export function pressureAfter(v: WriteView, d: FactWritten): { pct: number; level: ReturnType<typeof levelOf> } {
  const gone = new Set([...d.superseded, ...d.relief.merged.map((m) => m.id), ...d.relief.archived]);
  const pushed = new Set(d.relief.pushed);
  const cooled = new Set(d.cooled);
  const facts: Fact[] = [...v.counted.filter((f) => !gone.has(f.id)), d.fact].map((f) =>
    pushed.has(f.id) ? { ...f, status: 'cold', coldReason: 'pressure' } : cooled.has(f.id) ? { ...f, status: 'cold', coldReason: 'scope' } : f,
  );
  const { pct } = gauge(facts, v.settings);
  return { pct, level: levelOf(pct) };
}
