import type { DomainEvent } from '@memsidecar/core';

export type LeaseStatus = 'held' | 'released' | 'expired';

/** Why a lease was released: by its holder, or because the session that took it ended. */
export type ReleaseReason = 'released' | 'session_closed' | 'session_orphaned';

/** The whole state of one lease key; every event carries it, so the newest event alone rebuilds it. */
export interface LeaseData {
  holderId: string;
  holder: string | null;
  /** Previous token + 1 on every successful acquire of the key, never reset. */
  fencingToken: number;
  acquiredAt: string;
  expiresAt: string;
  /** The TTL the lease was acquired with; a renew without ttlMs extends by this much. */
  ttlMs: number;
  metadata: Record<string, string> | null;
  sessionId: string | null;
  status: LeaseStatus;
}

/** The lease an acquire took over because it had lapsed (null when the key was free). */
export interface TakenOver {
  holderId: string;
  expiresAt: string;
}

export interface LeaseAcquiredData extends LeaseData {
  takenOverFrom: TakenOver | null;
}

export interface LeaseReleasedData extends LeaseData {
  reason: ReleaseReason;
}

export type LeaseAcquired = DomainEvent<'lease.acquired', LeaseAcquiredData>;
export type LeaseRenewed = DomainEvent<'lease.renewed', LeaseData>;
export type LeaseReleased = DomainEvent<'lease.released', LeaseReleasedData>;
export type LeaseExpired = DomainEvent<'lease.expired', LeaseData>;
export type LeaseEvent = LeaseAcquired | LeaseRenewed | LeaseReleased | LeaseExpired;
