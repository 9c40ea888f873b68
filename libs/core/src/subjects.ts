import type { Block } from './envelope';

const SAFE = /^[A-Za-z0-9_-]$/;
const ALL_SAFE = /^[A-Za-z0-9_-]+$/;

/**
 * Turns any string into one valid NATS subject token, reversibly and without collisions:
 * bytes outside [A-Za-z0-9_-] become `~XX` (upper-case hex of each UTF-8 byte). Dots, spaces,
 * `*`, `>`, `$` and non-ASCII never reach the subject as such.
 */
export function encodeToken(value: string): string {
  if (value.length === 0) return '~';
  if (ALL_SAFE.test(value)) return value;
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) {
      out += ch;
      continue;
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += '~' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

export function decodeToken(token: string): string {
  if (token === '~') return '';
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] === '~') {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(token.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface AggregateAddress {
  block: Block;
  tenant: string;
  ns: string;
  entity: string;
}

/** Where the events of one aggregate live: `<prefix>.evt.<block>.<tenant>.<ns>.<entity>`. */
export const aggregateSubject = (prefix: string, a: AggregateAddress): string =>
  `${prefix}.evt.${a.block}.${encodeToken(a.tenant)}.${encodeToken(a.ns)}.${encodeToken(a.entity)}`;

/** All events of one block, the filter of that block's read models. */
export const blockEventsFilter = (prefix: string, block: Block): string => `${prefix}.evt.${block}.>`;

export const allEventsFilter = (prefix: string): string => `${prefix}.evt.>`;

/** The request/reply subject of an operation: `<prefix>.v1.<block>.<op>`. */
export const operationSubject = (prefix: string, operation: string): string => `${prefix}.v1.${operation}`;

export const isValidSubjectToken = (token: string): boolean => /^[A-Za-z0-9_-]+$/.test(token);
