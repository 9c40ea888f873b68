import type { FactRestored, FactsPurged } from './facts.events';
import type { FactState } from './facts.model';

/** Restores one fact to its state at log sequence `toSeq`, as a new event. */
export interface RevertFact {
  type: 'RevertFact';
  id: string;
  toSeq: number;
  /** The fact as it stood at `toSeq`, folded from the log; null when it did not exist then. */
  past: FactState | null;
}

/** What the decision needs from the read model: the fact as it stands now. */
export interface RevertView {
  current: FactState | null;
}

/** Content, target, type, scope and time never change for an id: a fact's state is where it stands. */
const sameState = (a: FactState, b: FactState): boolean => a.status === b.status && a.coldReason === b.coldReason && a.supersededBy === b.supersededBy;

/**
 * One `facts.revert`: a fact that did not exist at `toSeq` is purged; one that did comes back with
 * the tier it had then (and what had replaced it, if anything). Scopes and other facts stay as they
 * are now. A revert that would change nothing appends nothing.
 */
export function decideRevert(c: RevertFact, v: RevertView): FactRestored | FactsPurged | null {
  if (c.past === null) return v.current === null ? null : { type: 'facts.purged', v: 1, data: { ids: [c.id], revertedTo: c.toSeq } };
  if (v.current !== null && sameState(c.past, v.current)) return null;
  return { type: 'facts.fact_restored', v: 1, data: { fact: c.past, revertedTo: c.toSeq } };
}
