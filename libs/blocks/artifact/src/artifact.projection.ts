import type { StoredEvent } from '@memsidecar/core';
import { columnsOf, newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { ArtifactEvent, ArtifactStoredData, UploadEvent } from './artifact.events';

type Stored = StoredEvent<ArtifactEvent | UploadEvent>;

const ROWS_PER_STATEMENT = 500;

const isUploadEvent = (e: Stored): e is StoredEvent<UploadEvent> => e.type.startsWith('artifact.upload_');

async function inChunks<T>(items: T[], work: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) await work(items.slice(i, i + ROWS_PER_STATEMENT));
}

const UPSERT_ENTRIES = `INSERT INTO artifact_entries (tenant, ns, id, version, blob, size, sha256, content_type, metadata, created_at, updated_at, seq)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::jsonb[], $10::timestamptz[], $11::timestamptz[], $12::bigint[])
  ON CONFLICT (tenant, ns, id) DO UPDATE SET version = EXCLUDED.version, blob = EXCLUDED.blob, size = EXCLUDED.size,
    sha256 = EXCLUDED.sha256, content_type = EXCLUDED.content_type, metadata = EXCLUDED.metadata,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, seq = EXCLUDED.seq`;

async function upsertEntries(m: SqlExecutor, events: Stored[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    const d = e.data as ArtifactStoredData;
    return [e.tenant, e.ns, e.entity, d.version, d.blob, d.size, d.sha256, d.contentType, JSON.stringify(d.metadata), d.createdAt, d.updatedAt, e.seq];
  });
  await m.prepared(UPSERT_ENTRIES, columnsOf(rows));
}

async function deleteEntries(m: SqlExecutor, events: Stored[]): Promise<void> {
  await inChunks(events, (chunk) =>
    m.prepared(
      `DELETE FROM artifact_entries a USING unnest($1::text[], $2::text[], $3::text[]) AS d(tenant, ns, id)
       WHERE a.tenant = d.tenant AND a.ns = d.ns AND a.id = d.id`,
      [chunk.map((e) => e.tenant), chunk.map((e) => e.ns), chunk.map((e) => e.entity)],
    ),
  );
}

/** Blobs that stopped being referenced, with the time of the event that released them. */
async function recordReleased(m: SqlExecutor, events: Stored[]): Promise<void> {
  const released = events.flatMap((e) => {
    const blob = e.type === 'artifact.stored' ? (e.data as ArtifactStoredData).replacedBlob : e.type === 'artifact.deleted' ? (e.data as { blob: string }).blob : null;
    return blob ? [{ e, blob }] : [];
  });
  await inChunks(released, (chunk) =>
    m.prepared(
      `INSERT INTO artifact_released_blobs (tenant, ns, blob, released_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) ON CONFLICT DO NOTHING`,
      [chunk.map((r) => r.e.tenant), chunk.map((r) => r.e.ns), chunk.map((r) => r.blob), chunk.map((r) => r.e.at)],
    ),
  );
}

/**
 * One row per upload: its newest status and the newest expiry its events in the batch set. A
 * commit carries no expiry, and its row always exists from the begin before it, so a commit only
 * changes the status: a replay in different batches gives the same rows.
 */
async function upsertUploads(m: SqlExecutor, events: StoredEvent<UploadEvent>[]): Promise<void> {
  const uploads = new Map<string, { e: StoredEvent<UploadEvent>; status: string; expiresAt: string | null }>();
  for (const e of events) {
    const key = `${e.tenant}\u0000${e.ns}\u0000${e.entity}`;
    const previous = uploads.get(key);
    const status = e.type === 'artifact.upload_committed' ? 'committed' : e.type === 'artifact.upload_expired' ? 'expired' : 'open';
    const expiresAt = 'expiresAt' in e.data ? e.data.expiresAt : (previous?.expiresAt ?? null);
    uploads.set(key, { e, status, expiresAt });
  }
  const rows = [...uploads.values()];
  const cols = (rs: typeof rows) => [rs.map((r) => r.e.tenant), rs.map((r) => r.e.ns), rs.map((r) => r.e.entity.slice('upload:'.length)), rs.map((r) => r.status)];
  await inChunks(rows.filter((r) => r.expiresAt !== null), (chunk) =>
    m.prepared(
      `INSERT INTO artifact_uploads (tenant, ns, uuid, status, expires_at, seq)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::bigint[])
       ON CONFLICT (tenant, ns, uuid) DO UPDATE SET status = EXCLUDED.status, expires_at = EXCLUDED.expires_at, seq = EXCLUDED.seq`,
      [...cols(chunk), chunk.map((r) => r.expiresAt), chunk.map((r) => r.e.seq)],
    ),
  );
  await inChunks(rows.filter((r) => r.expiresAt === null), (chunk) =>
    m.prepared(
      `UPDATE artifact_uploads u SET status = v.status, seq = v.seq
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) AS v(tenant, ns, uuid, status, seq)
       WHERE u.tenant = v.tenant AND u.ns = v.ns AND u.uuid = v.uuid`,
      [...cols(chunk), chunk.map((r) => r.e.seq)],
    ),
  );
}

export const artifactProjection: Projection = {
  name: 'artifact_entries',
  block: 'artifact',
  tables: ['artifact_entries', 'artifact_uploads', 'artifact_released_blobs'],
  async apply(m, events) {
    const all = events as Stored[];
    const versions = newestPerAggregate(all.filter((e) => !isUploadEvent(e)));
    await upsertEntries(m, versions.filter((e) => e.type === 'artifact.stored'));
    await deleteEntries(m, versions.filter((e) => e.type === 'artifact.deleted'));
    await recordReleased(m, all);
    await upsertUploads(m, all.filter(isUploadEvent));
  },
};
