import { PRESSURE, gauge, type Fact, type GaugeSettings } from './facts.model';

export interface Relief {
  /** Duplicates (same type, target and scope) merged into their newest member. */
  merged: { id: string; into: string }[];
  /** Cold facts of ended scopes, not read for a day, archived. */
  archived: string[];
  /** Least recently used active facts moved to cold. */
  pushed: string[];
}

const ARCHIVE_AFTER_MS = 24 * 3600_000;

const lastUse = (f: Fact): number => Date.parse(f.lastAccessedAt ?? f.createdAt);

/**
 * Pressure relief without an LLM, in the seed's order: at 70 % merge duplicates, at 85 % archive
 * cold facts of ended scopes, at 95 % move the least recently used facts to cold until below 85 %.
 * Pure: returns what to change; `facts` is not modified.
 */
export function relieve(facts: Fact[], settings: GaugeSettings, now: Date): Relief {
  const relief: Relief = { merged: [], archived: [], pushed: [] };
  const view = new Map(facts.map((f) => [f.id, { ...f }]));
  const pct = () => gauge([...view.values()], settings).pct;

  if (pct() >= PRESSURE.merge) {
    const groups = new Map<string, Fact[]>();
    for (const f of view.values()) {
      if (f.status !== 'active' || f.type === '✓' || f.type === '~') continue;
      const key = `${f.type}\u0000${f.target}\u0000${f.scopeId ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      const [keeper, ...rest] = [...group].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || (a.id < b.id ? -1 : 1));
      for (const f of rest) {
        view.get(f.id)!.status = 'superseded';
        relief.merged.push({ id: f.id, into: keeper.id });
      }
    }
  }
  if (pct() >= PRESSURE.archive) {
    for (const f of view.values()) {
      if (f.status === 'cold' && f.coldReason === 'scope' && now.getTime() - lastUse(f) >= ARCHIVE_AFTER_MS) {
        f.status = 'archived';
        relief.archived.push(f.id);
      }
    }
  }
  if (pct() >= PRESSURE.push) {
    const oldest = [...view.values()].filter((f) => f.status === 'active').sort((a, b) => lastUse(a) - lastUse(b) || (a.id < b.id ? -1 : 1));
    for (const f of oldest) {
      if (pct() < PRESSURE.archive) break;
      const fact = view.get(f.id)!;
      fact.status = 'cold';
      fact.coldReason = 'pressure';
      relief.pushed.push(f.id);
    }
  }
  return relief;
}

/** Applies a relief to a list of facts (for the decider's own bookkeeping and for tests). */
export function applyRelief(facts: Fact[], r: Relief): Fact[] {
  const merged = new Set(r.merged.map((m) => m.id));
  const archived = new Set(r.archived);
  const pushed = new Set(r.pushed);
  return facts.map((f) =>
    merged.has(f.id)
      ? { ...f, status: 'superseded' }
      : archived.has(f.id)
        ? { ...f, status: 'archived' }
        : pushed.has(f.id)
          ? { ...f, status: 'cold', coldReason: 'pressure' }
          : f,
  );
}

