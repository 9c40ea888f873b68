/** Time and ids enter pure code as arguments; this is where the impure ones come from. */
import { randomUUID } from 'node:crypto';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export const newId = (): string => randomUUID();

export const toIso = (d: Date): string => d.toISOString();
