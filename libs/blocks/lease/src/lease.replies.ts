export interface LeaseAcquireResult {
  key: string;
  /** Proves holding to `renew` and `release`. */
  holderId: string;
  /** Strictly increases with every successful acquire of the key: pass it to what the lease protects. */
  fencingToken: number;
  acquiredAt: string;
  expiresAt: string;
  seq: number;
}

/** Wrong holder or expired → FAILED_PRECONDITION/NOT_HOLDER. */
export interface LeaseRenewResult {
  expiresAt: string;
  fencingToken: number;
  seq: number;
}

export interface LeaseReleaseResult {
  existed: boolean;
  seq?: number;
}

export interface LeaseHolding {
  holderId: string;
  holder: string | null;
  fencingToken: number;
  acquiredAt: string;
  expiresAt: string;
  metadata: Record<string, string>;
}

export type LeaseInspectResult = ({ held: true } & LeaseHolding) | { held: false };

export interface LeaseListResult {
  /** Leases held now. */
  items: ({ key: string } & LeaseHolding)[];
}
