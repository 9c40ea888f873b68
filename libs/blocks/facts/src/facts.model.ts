import type { FactType } from './notation';

/** hot = active and unscoped or in an open scope; cold; archived; superseded. */
export type FactStatus = 'active' | 'cold' | 'archived' | 'superseded';
/** Why a fact is cold: its scope ended (it still counts until archived) or pressure moved it. */
export type ColdReason = 'scope' | 'pressure';
export type ScopeStatus = 'active' | 'cold' | 'closed';

export interface Fact {
  id: string;
  type: FactType;
  target: string;
  content: string;
  scopeId: string | null;
  status: FactStatus;
  coldReason: ColdReason | null;
  /** SHA-256 prefix of the stored line: identical lines are one fact. */
  hash: string;
  /** The session turn the fact was written in (topic-shift detection). */
  turn: number;
  createdAt: string;
  lastAccessedAt: string | null;
}

/** A fact as the read model holds it: with the fact that replaced it, once one did. */
export interface FactState extends Fact {
  supersededBy: string | null;
}

export interface Scope {
  id: string;
  label: string;
  status: ScopeStatus;
  /** The session turn of the last write into the scope. */
  currentTurn: number;
}

export interface FactSession {
  id: string;
  lastTurn: number;
  activeScopeId: string | null;
}

export interface GaugeSettings {
  /** Capacity of the store, in characters of rendered fact lines. */
  maxChars: number;
}

/** The rendered line a fact costs: `T[target]: content`. */
export const lineChars = (f: Pick<Fact, 'type' | 'target' | 'content'>): number => [...`${f.type}[${f.target}]: ${f.content}`].length;

/**
 * What counts against capacity: active facts, and cold facts of ended scopes until they are
 * archived (so archiving frees capacity); facts pressure moved to cold no longer count.
 */
export const counts = (f: Fact): boolean => f.status === 'active' || (f.status === 'cold' && f.coldReason === 'scope');

export function gauge(facts: Fact[], settings: GaugeSettings): { used: number; pct: number } {
  const used = facts.filter(counts).reduce((n, f) => n + lineChars(f), 0);
  return { used, pct: Math.round((used / settings.maxChars) * 1000) / 10 };
}

export const PRESSURE = { merge: 70, warn: 80, archive: 85, push: 95, full: 100 } as const;

export type PressureLevel = 'ok' | 'merge' | 'archive' | 'push' | 'full';

export const levelOf = (pct: number): PressureLevel =>
  pct >= PRESSURE.full ? 'full' : pct >= PRESSURE.push ? 'push' : pct >= PRESSURE.archive ? 'archive' : pct >= PRESSURE.merge ? 'merge' : 'ok';
