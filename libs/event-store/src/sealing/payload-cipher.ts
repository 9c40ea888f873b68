import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EventEnvelope, StoredEvent } from '@memsidecar/core';
import { markErased } from '../stored-event-codec';
import type { SubjectKeys } from './subject-keys';

/** A payload as the log stores it: AES-256-GCM under the namespace's key, the tag after the ciphertext. */
export interface SealedPayload {
  key: string;
  iv: string;
  ct: string;
}

type Sealable = { sealed?: SealedPayload; data?: unknown };

const TAG_BYTES = 16;

/**
 * Blocks whose payloads stay clear: token records hold no memory, and erasure receipts (audit)
 * must outlive the keys they report destroyed.
 */
const CLEAR_BLOCKS = new Set(['auth', 'audit']);

/**
 * Seals events' payloads on the way into the log and opens them on the way out. The envelope
 * (ids, type, tenant, namespace, entity, agent, times) stays clear for routing and audit and is
 * bound to the ciphertext as associated data, so a payload cannot be moved to another event. An
 * event whose key was destroyed reads as erased: `data` null and `erased: true`.
 */
export class PayloadCipher {
  constructor(readonly keys: SubjectKeys) {}

  /** The envelope to store: `data` replaced by `sealed`, unless its block stays clear. */
  async seal(envelope: EventEnvelope): Promise<object> {
    if (CLEAR_BLOCKS.has(envelope.block) || envelope.data === undefined) return envelope;
    const { id, key } = await this.keys.current(envelope.tenant, envelope.ns);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(envelope));
    const ct = Buffer.concat([cipher.update(JSON.stringify(envelope.data), 'utf8'), cipher.final(), cipher.getAuthTag()]);
    const { data: _data, ...clear } = envelope;
    return { ...clear, sealed: { key: id, iv: iv.toString('base64'), ct: ct.toString('base64') } satisfies SealedPayload };
  }

  /** Opens a decoded event in place (or marks it erased); an event stored clear is left as it is. */
  async open(event: StoredEvent): Promise<StoredEvent> {
    const stored = event as StoredEvent & Sealable;
    const sealed = stored.sealed;
    if (!sealed) return event;
    const key = await this.keys.find(sealed.key);
    if (!key) return markErased(stored);
    delete stored.sealed;
    const bytes = Buffer.from(sealed.ct, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(associatedData(stored));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]);
    (stored as { data: unknown }).data = JSON.parse(plain.toString('utf8'));
    return event;
  }
}

const associatedData = (e: Pick<EventEnvelope, 'id' | 'type' | 'tenant' | 'ns' | 'entity'>): Buffer =>
  Buffer.from(`${e.id}\u0000${e.type}\u0000${e.tenant}\u0000${e.ns}\u0000${e.entity}`, 'utf8');
