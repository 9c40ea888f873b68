import { ReadableStream } from 'node:stream/web';
import { DeliverPolicy, StorageType, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Objm, type ObjectInfo, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeToken, encodeToken } from '@memsidecar/core';
import { BlobNotFound, HashingTap, checkBlobKey, type BlobInfo, type BlobKey, type BlobStore, type BlobWritten } from './blob-store';

/** Every chunk but the last has exactly this size, which is what lets a range read skip whole chunks. */
const CHUNK_BYTES = 128 * 1024;

/** The object store's stream layout (NATS ADR-20): one stream, chunks on `$O.<bucket>.C.<nuid>`. */
const streamOf = (bucket: string) => `OBJ_${bucket}`;
const chunkSubject = (bucket: string, nuid: string) => `$O.${bucket}.C.${nuid}`;

/**
 * Each part is token-encoded (ASCII without `/`, which the object store's name encoding needs), so
 * an object name is exactly three `/`-separated parts, readable for the usual ids.
 */
const objectName = (key: BlobKey): string => [key.tenant, key.ns, key.name].map(encodeToken).join('/');

function keyOf(name: string): BlobKey | null {
  const parts = name.split('/');
  return parts.length === 3 ? { tenant: decodeToken(parts[0]), ns: decodeToken(parts[1]), name: decodeToken(parts[2]) } : null;
}

function streamFrom(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  // Pull-based: the object store asks for the next chunk only after publishing the previous one.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** Blobs in a JetStream object store (file storage), the default: no extra infrastructure beside NATS. */
export class JetStreamBlobStore implements BlobStore {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly os: ObjectStore,
    readonly bucket: string,
  ) {}

  /** Opens the bucket, creating it on first use (idempotent, safe from several instances at once). */
  static async open(nc: NatsConnection, bucket: string, replicas = 1): Promise<JetStreamBlobStore> {
    const js = jetstream(nc);
    const os = await new Objm(js).create(bucket, { storage: StorageType.File, replicas, description: 'memsidecar artifact blobs' });
    return new JetStreamBlobStore(js, await jetstreamManager(nc), os, bucket);
  }

  async put(key: BlobKey, chunks: AsyncIterable<Uint8Array>): Promise<BlobWritten> {
    checkBlobKey(key);
    const tap = new HashingTap();
    await this.os.put({ name: objectName(key), options: { max_chunk_size: CHUNK_BYTES } }, streamFrom(tap.tap(chunks)) as globalThis.ReadableStream<Uint8Array>);
    return tap.result();
  }

  async *read(key: BlobKey, offset = 0, length?: number): AsyncGenerator<Uint8Array> {
    const info = await this.info(key);
    if (!info) throw new BlobNotFound(key);
    const end = Math.min(info.size, length === undefined ? info.size : offset + length);
    if (offset >= end) return;
    const chunkBytes = info.options?.max_chunk_size ?? CHUNK_BYTES;
    const first = Math.floor(offset / chunkBytes);
    const subject = chunkSubject(this.bucket, info.nuid);
    const startSeq = first === 0 ? 1 : await this.seqOfChunk(subject, first);
    const consumer = await this.js.consumers.get(streamOf(this.bucket), {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
    });
    // A few chunks in flight keep the pipe full without holding much of a large blob in memory.
    const messages = await consumer.consume({ max_messages: 8 });
    let position = first * chunkBytes;
    try {
      for await (const m of messages) {
        const from = Math.max(0, offset - position);
        const to = Math.min(m.data.length, end - position);
        if (to > from) yield m.data.subarray(from, to);
        position += m.data.length;
        if (position >= end || m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
  }

  /** Stream sequence of the `index`-th chunk, found with a headers-only consumer: no payload travels. */
  private async seqOfChunk(subject: string, index: number): Promise<number> {
    const consumer = await this.js.consumers.get(streamOf(this.bucket), { filter_subjects: subject, headers_only: true });
    const messages = await consumer.consume({ max_messages: 1024 });
    let seen = 0;
    try {
      for await (const m of messages) {
        if (seen++ === index) return m.seq;
        if (m.info.pending === 0) break;
      }
    } finally {
      await messages.close();
    }
    throw new Error(`chunk ${index} of ${subject} is missing`);
  }

  async stat(key: BlobKey): Promise<{ size: number; modified: Date } | null> {
    const info = await this.info(key);
    return info ? { size: info.size, modified: new Date(info.mtime) } : null;
  }

  async delete(key: BlobKey): Promise<boolean> {
    if (!(await this.info(key))) return false;
    const result = await this.os.delete(objectName(key)).catch((e: Error) => {
      // Another collector got there first.
      if (/not found/i.test(e.message)) return null;
      throw e;
    });
    return result !== null && result.success !== false;
  }

  async *list(): AsyncGenerator<BlobInfo> {
    for (const info of await this.os.list()) {
      const key = info.deleted ? null : keyOf(info.name);
      if (key) yield { key, size: info.size, modified: new Date(info.mtime) };
    }
  }

  /** Chunks without an object: a put that died before its trailing metadata. Purged once idle long enough. */
  async sweepUnfinished(before: Date): Promise<number> {
    const stream = streamOf(this.bucket);
    const known = new Set((await this.os.list()).map((i) => chunkSubject(this.bucket, i.nuid)));
    const info = await this.jsm.streams.info(stream, { subjects_filter: `$O.${this.bucket}.C.>` });
    let purged = 0;
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      if (known.has(subject)) continue;
      const last = await this.jsm.direct.getMessage(stream, { last_by_subj: subject });
      if (!last || last.time >= before) continue;
      await this.jsm.streams.purge(stream, { filter: subject });
      purged++;
    }
    return purged;
  }

  async close(): Promise<void> {}

  private async info(key: BlobKey): Promise<ObjectInfo | null> {
    checkBlobKey(key);
    const info = await this.os.info(objectName(key));
    return info && !info.deleted ? info : null;
  }
}
