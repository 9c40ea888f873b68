/**
 * Where a checkpointer's data lives in its kv namespace. Three kinds of key, each a path of escaped
 * parts so that one thread (or one thread and checkpoint namespace) is one prefix:
 *
 *   c/<thread>/<checkpoint ns>/<checkpoint id>                  a checkpoint (without channel values)
 *   w/<thread>/<checkpoint ns>/<checkpoint id>/<task id>/<idx>  one pending write
 *   b/<thread>/<checkpoint ns>/<channel>/<version>              one channel value, stored once per version
 *
 * Checkpoint ids are time-ordered uuid6 strings, so within a thread and namespace key order is
 * time order and a reverse listing is newest first.
 */

/** The service's bound on a kv key (CONTRACT §4). */
export const MAX_KEY_BYTES = 512;

export type KeyKind = 'c' | 'w' | 'b';

/** `%`, `/` and NUL are escaped, so a part never contains the separator and parts never collide. */
const escapePart = (part: string): string => part.replace(/[%/\0]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);

const unescapePart = (part: string): string => part.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

function key(kind: KeyKind, parts: string[]): string {
  const joined = [kind, ...parts.map(escapePart)].join('/');
  const bytes = Buffer.byteLength(joined, 'utf8');
  if (bytes > MAX_KEY_BYTES)
    throw new Error(`MemsidecarSaver: the key for this ${describe(kind)} is ${bytes} bytes, over the service's ${MAX_KEY_BYTES}: shorten the thread id, checkpoint namespace, task id or channel name`);
  return joined;
}

const describe = (kind: KeyKind) => ({ c: 'checkpoint', w: 'pending write', b: 'channel value' })[kind];

/** The prefix of every key of `kind`, narrowed by as many leading parts as are given (thread, checkpoint ns, ...). */
export function prefixOf(kind: KeyKind, ...parts: (string | undefined)[]): string {
  const given: string[] = [];
  for (const part of parts) {
    if (part === undefined) break;
    given.push(escapePart(part));
  }
  return `${[kind, ...given].join('/')}/`;
}

export const checkpointKey = (threadId: string, checkpointNs: string, checkpointId: string): string => key('c', [threadId, checkpointNs, checkpointId]);

export const writeKey = (threadId: string, checkpointNs: string, checkpointId: string, taskId: string, idx: number): string =>
  key('w', [threadId, checkpointNs, checkpointId, taskId, String(idx)]);

export const blobKey = (threadId: string, checkpointNs: string, channel: string, version: string | number): string =>
  key('b', [threadId, checkpointNs, channel, String(version)]);

export interface CheckpointAddress {
  threadId: string;
  checkpointNs: string;
  checkpointId: string;
}

/** The thread, namespace and checkpoint id a `c/` or `w/` key belongs to. */
export function addressOf(storedKey: string): CheckpointAddress {
  const [kind, threadId, checkpointNs, checkpointId] = storedKey.split('/');
  if ((kind !== 'c' && kind !== 'w') || checkpointId === undefined) throw new Error(`MemsidecarSaver: "${storedKey}" is not a checkpoint or pending write key`);
  return { threadId: unescapePart(threadId), checkpointNs: unescapePart(checkpointNs), checkpointId: unescapePart(checkpointId) };
}

/** The checkpoint namespace, channel and version a `b/` key names. */
export function blobOf(storedKey: string): { checkpointNs: string; channel: string; version: string } {
  const [kind, , checkpointNs, channel, version] = storedKey.split('/');
  if (kind !== 'b' || version === undefined) throw new Error(`MemsidecarSaver: "${storedKey}" is not a channel value key`);
  return { checkpointNs: unescapePart(checkpointNs), channel: unescapePart(channel), version: unescapePart(version) };
}
