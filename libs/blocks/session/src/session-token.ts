import { createHash, randomBytes } from 'node:crypto';

/** A fresh, unguessable session token; only its hash is ever stored. */
export const newSessionToken = (): string => randomBytes(32).toString('base64url');

export const hashSessionToken = (token: string): string => createHash('sha256').update(token).digest('hex');
