import { jetStreamOf, type BlockDependencies } from '@memsidecar/api';
import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { JetStreamBlobStore } from './jetstream-blob-store';

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

const positiveInt = (env: NodeJS.ProcessEnv, name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer of milliseconds, got ${raw}`);
  return value;
};

/**
 * The artifact block's own settings, read from the environment here because the service's config
 * does not know them yet: `MEMSIDECAR_ARTIFACT_STORE`, `MEMSIDECAR_ARTIFACT_UPLOAD_TTL_MS`,
 * `MEMSIDECAR_ARTIFACT_GC_GRACE_MS`, `MEMSIDECAR_ARTIFACT_GC_INTERVAL_MS`.
 */
export function artifactSettings(env: NodeJS.ProcessEnv = process.env): ArtifactSettings {
  const raw = env.MEMSIDECAR_ARTIFACT_STORE ?? 'jetstream';
  let store: ArtifactSettings['store'];
  if (raw === '' || raw === 'jetstream') store = { kind: 'jetstream' };
  else if (raw.startsWith('fs:/')) store = { kind: 'fs', dir: raw.slice('fs:'.length) };
  else throw new Error(`MEMSIDECAR_ARTIFACT_STORE must be "jetstream" or "fs:/absolute/dir", got ${raw}`);
  return {
    store,
    uploadTtlMs: positiveInt(env, 'MEMSIDECAR_ARTIFACT_UPLOAD_TTL_MS', 3_600_000),
    gcGraceMs: positiveInt(env, 'MEMSIDECAR_ARTIFACT_GC_GRACE_MS', 600_000),
    gcIntervalMs: positiveInt(env, 'MEMSIDECAR_ARTIFACT_GC_INTERVAL_MS', 60_000),
  };
}

/** The bucket is named after the event log's stream, so two deployments on one NATS never share blobs. */
export const artifactBucket = (stream: string): string => `${stream}_ARTIFACTS`;

export function openBlobStore(deps: BlockDependencies, settings: ArtifactSettings): Promise<BlobStore> {
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
    const s = settings ?? artifactSettings();
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
  }
  return context;
}
