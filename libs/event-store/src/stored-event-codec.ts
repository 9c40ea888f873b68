import type { StoredEvent } from '@memsidecar/core';
import { upcast } from './upcasters';

/**
 * Decodes in place: no copy of the bytes, and the parsed envelope itself becomes the stored event
 * (hot in replays). An older version of an event comes out as the current one (see `upcast`).
 */
export const decodeStoredEvent = (data: Uint8Array, seq: number): StoredEvent => {
  const event = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as StoredEvent;
  event.seq = seq;
  return upcast(event);
};
