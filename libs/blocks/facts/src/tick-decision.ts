import { hasClosingSignal } from './closing-signals';
import type { FactSession, Scope } from './facts.model';

/** Turns without a write into a scope before it cools. */
export const IDLE_TURNS = 6;
/** Turns of writing elsewhere before a scope counts as left behind. */
export const TOPIC_SHIFT_TURNS = 3;

export interface Tick {
  type: 'Tick';
  sessionId: string;
  turn: number;
  message: string;
}

export interface TickView {
  session: FactSession | null;
  /** Every open scope of the namespace. */
  openScopes: Scope[];
  /** Scopes (null = unscoped) written to in the last TOPIC_SHIFT_TURNS turns. */
  recentScopeIds: (string | null)[];
}

export type CoolReason = 'closing_words' | 'idle' | 'topic_shift';

export interface Ticked {
  session: FactSession;
  cooled: { scopeId: string; reason: CoolReason }[];
}

/**
 * One `facts.tick`: closing words (not negated) cool the session's current scope; a scope with no
 * write for six turns cools; a scope not written for three turns while others were cools too.
 */
export function decideTick(c: Tick, v: TickView): Ticked {
  const closing = hasClosingSignal(c.message);
  const recent = new Set(v.recentScopeIds);
  const cooled: Ticked['cooled'] = [];
  for (const scope of v.openScopes) {
    const distance = c.turn - scope.currentTurn;
    if (closing && scope.id === v.session?.activeScopeId) cooled.push({ scopeId: scope.id, reason: 'closing_words' });
    else if (distance >= IDLE_TURNS) cooled.push({ scopeId: scope.id, reason: 'idle' });
    else if (distance >= TOPIC_SHIFT_TURNS && [...recent].some((id) => id !== scope.id)) cooled.push({ scopeId: scope.id, reason: 'topic_shift' });
  }
  const activeScopeId = v.session?.activeScopeId ?? null;
  const stillOpen = activeScopeId !== null && !cooled.some((x) => x.scopeId === activeScopeId);
  return { session: { id: c.sessionId, lastTurn: c.turn, activeScopeId: stillOpen ? activeScopeId : null }, cooled };
}
