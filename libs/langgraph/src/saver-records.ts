import type { SerializerProtocol } from '@langchain/langgraph-checkpoint';

/**
 * A value as the saver's `serde` wrote it: its type tag and its bytes, base64, so it travels as
 * JSON; or, for a large channel value or write, the id of the artifact holding the bytes (`data` is then empty).
 */
export interface Serialized {
  type: string;
  data: string;
  artifact?: string;
}

/** The value of a `c/` key: the checkpoint without its channel values, which are `b/` keys. */
export interface CheckpointRecord {
  parent: string | null;
  checkpoint: Serialized;
  metadata: Serialized;
  /**
   * The channel values this checkpoint's put stored (channel → version), written alongside it: the
   * checkpoint counts as stored once they all are. Absent: none.
   */
  own?: Record<string, string | number>;
}

/** The value of a `w/` key. */
export interface WriteRecord {
  taskId: string;
  /** `""` when `putWrites` was given none; it sorts first, as the library's sort key says. */
  taskPath: string;
  channel: string;
  idx: number;
  value: Serialized;
}

export async function dump(serde: SerializerProtocol, value: unknown): Promise<Serialized> {
  const [type, bytes] = await serde.dumpsTyped(value);
  return { type, data: Buffer.from(bytes).toString('base64') };
}

/** A value stored inline (checkpoints and metadata always are). */
export async function load(serde: SerializerProtocol, stored: Serialized): Promise<unknown> {
  if (stored.artifact !== undefined) throw new Error(`MemsidecarSaver: a value stored in artifact ${stored.artifact} was read as inline`);
  return serde.loadsTyped(stored.type, new Uint8Array(Buffer.from(stored.data, 'base64')));
}

const isSerialized = (v: unknown): v is Serialized =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as Serialized).type === 'string' &&
  typeof (v as Serialized).data === 'string' &&
  ((v as Serialized).artifact === undefined || typeof (v as Serialized).artifact === 'string');

/** A kv value of this namespace that is not what its key says is refused by name, not misread. */
function refuse(key: string, what: string): never {
  throw new Error(`MemsidecarSaver: kv key "${key}" does not hold a ${what}; is another program writing to this namespace?`);
}

export function asCheckpointRecord(key: string, v: unknown): CheckpointRecord {
  const r = v as CheckpointRecord;
  if (
    typeof v !== 'object' ||
    v === null ||
    !isSerialized(r.checkpoint) ||
    !isSerialized(r.metadata) ||
    (r.parent !== null && typeof r.parent !== 'string') ||
    (r.own !== undefined && (typeof r.own !== 'object' || r.own === null))
  )
    refuse(key, 'checkpoint');
  return r;
}

export function asWriteRecord(key: string, v: unknown): WriteRecord {
  const r = v as WriteRecord;
  if (typeof v !== 'object' || v === null || typeof r.taskId !== 'string' || typeof r.taskPath !== 'string' || typeof r.channel !== 'string' || typeof r.idx !== 'number' || !isSerialized(r.value))
    refuse(key, 'pending write');
  return r;
}

export function asBlob(key: string, v: unknown): Serialized {
  if (!isSerialized(v)) refuse(key, 'channel value');
  return v;
}
