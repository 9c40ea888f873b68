import { jetStreamOf, type BlockDependencies } from '@memsidecar/api';
import type { ArtifactConfig } from '@memsidecar/config';
import { coversNamespace, type ErasureSubject } from '@memsidecar/event-store';
import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { JetStreamBlobStore } from './jetstream-blob-store';
import { SealedBlobStore } from './sealed-blob-store';

/** Largest decoded `data` of one request or reply (put, append, get). */
export const MAX_DATA_BYTES = 512 * 1024;
/** Largest `data` of one streamed `artifact.read` item. */
export const MAX_STREAM_CHUNK_BYTES = 256 * 1024;

export interface ArtifactSettings {
  /** `jetstream` (default) or `fs:/absolute/dir`. */
  store: { kind: 'jetstream' } | { kind: 'fs'; dir: string };
  /** An upload with no append for this long is abandoned and expires. */
  uploadTtlMs: number;
  /** How old an unreferenced blob must be before the collector removes it. */
  gcGraceMs: number;
  /** Pause between collector rounds. */
  gcIntervalMs: number;
}

/** The artifact block's settings from the service's configuration (validated with it at boot). */
export function artifactSettings(c: ArtifactConfig): ArtifactSettings {
  return {
    store: c.store.startsWith('fs:') ? { kind: 'fs', dir: c.store.slice('fs:'.length) } : { kind: 'jetstream' },
    uploadTtlMs: c.uploadTtlMs,
    gcGraceMs: c.gcGraceMs,
    gcIntervalMs: c.gcIntervalMs,
  };
}

/** The bucket is named after the event log's stream, so two deployments on one NATS never share blobs. */
export const artifactBucket = (stream: string): string => `${stream}_ARTIFACTS`;

/** The configured store, its bytes sealed with the namespace's data key like the log's payloads. */
export async function openBlobStore(deps: BlockDependencies, settings: ArtifactSettings): Promise<BlobStore> {
  return new SealedBlobStore(await openPlainBlobStore(deps, settings), deps.erasure.keys, deps.config.encryption.mode === 'on');
}

function openPlainBlobStore(deps: BlockDependencies, settings: ArtifactSettings): Promise<BlobStore> {
  if (settings.store.kind === 'fs') return Promise.resolve(new FsBlobStore(settings.store.dir));
  const { nc, options } = jetStreamOf(deps, 'an artifact store in JetStream');
  return JetStreamBlobStore.open(nc, artifactBucket(options.stream), options.replicas);
}

const opened = new WeakMap<object, { settings: ArtifactSettings; blobs: () => Promise<BlobStore> }>();

/**
 * One blob store per service instance, shared by the operations and the workers, opened on first
 * use (blocks are declared synchronously; opening the bucket talks to NATS).
 */
export function artifactContext(deps: BlockDependencies, settings?: ArtifactSettings) {
  let context = opened.get(deps.store);
  if (!context) {
    const s = settings ?? artifactSettings(deps.config.artifact);
    let store: Promise<BlobStore> | null = null;
    const blobs = () => {
      store ??= openBlobStore(deps, s).catch((e) => {
        store = null;
        throw e;
      });
      return store;
    };
    context = { settings: s, blobs };
    opened.set(deps.store, context);
    deps.erasure.onErase(async (subject) => ({ blobs: await deleteBlobsOf(await blobs(), subject) }));
  }
  return context;
}

/** Deletes every blob of an erased tenant or namespace (versions, staged upload parts, released ones alike). */
async function deleteBlobsOf(store: BlobStore, subject: ErasureSubject): Promise<number> {
  let deleted = 0;
  for await (const { key } of store.list()) {
    if (coversNamespace(subject, key.tenant, key.ns) && (await store.delete(key))) deleted++;
  }
  return deleted;
}
