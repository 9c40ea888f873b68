import type { EventEnvelope, StoredEvent } from '@memsidecar/core';
import type { PayloadCipher } from './sealing/payload-cipher';
import { upcast } from './upcasters';

/**
 * Events to and from their bytes in the log. With a cipher, payloads are sealed on the way in
 * (when `seal` is on) and sealed payloads are opened on the way out whatever `seal` says, so a
 * log written with sealing stays readable after it is turned off.
 */
export class EventCodec {
  constructor(
    private readonly cipher: PayloadCipher | null = null,
    private readonly seal = cipher !== null,
  ) {}

  async encode(envelope: EventEnvelope): Promise<string> {
    return JSON.stringify(this.cipher && this.seal ? await this.cipher.seal(envelope) : envelope);
  }

  /**
   * Decodes in place: no copy of the bytes, and the parsed envelope itself becomes the stored event
   * (hot in replays). An older version of an event comes out as the current one (see `upcast`); an
   * event whose key was destroyed comes out erased.
   */
  async decode(data: Uint8Array, seq: number): Promise<StoredEvent> {
    const event = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as StoredEvent & { sealed?: unknown };
    event.seq = seq;
    if (event.sealed) {
      if (!this.cipher) return markErased(event);
      await this.cipher.open(event);
    }
    return event.erased ? event : upcast(event);
  }
}

/** What an event whose payload cannot be opened reads as: its envelope, no data. */
export function markErased(event: StoredEvent & { sealed?: unknown }): StoredEvent {
  delete event.sealed;
  (event as { data: unknown }).data = null;
  event.erased = true;
  return event;
}

export const PLAIN_CODEC = new EventCodec();
