import { createHash } from 'node:crypto';
import type { RetryPolicy } from './config';

/** A number in [0, 1) fixed by the session id and the attempt: the same session waits the same way. */
function unitFrom(sessionKey: string, attempt: number): number {
  const digest = createHash('sha256').update(`${sessionKey}\u0000${attempt}`).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000;
}

/**
 * The pause before retry number `attempt` (0 for the first retry): capped exponential backoff,
 * `min(cap, base * 2^attempt)`, less up to `jitterFactor` of it. The jitter comes from the session
 * id, so one agent's retries are repeatable while different agents spread out; the cap is never
 * exceeded.
 */
export function retryDelayMs(policy: RetryPolicy, sessionKey: string, attempt: number): number {
  // The exponent is bounded so that a zero base never meets an infinite factor (0 × ∞ is NaN).
  const ceiling = Math.min(policy.capDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling * (1 - policy.jitterFactor * unitFrom(sessionKey, attempt)));
}
