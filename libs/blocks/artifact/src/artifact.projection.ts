import { assertNever, provenanceOf, type StoredEvent } from '@memsidecar/core';
import { columnsOf, handles, jsonText, newestPerAggregate, type Projection, type SqlExecutor } from '@memsidecar/projections';
import type { ArtifactDeleted, ArtifactEvent, ArtifactStored, UploadEvent } from './artifact.events';

/** The artifact block's subjects carry two aggregates: artifacts (their versions) and uploads. */
type ArtifactBlockEvent = ArtifactEvent | UploadEvent;
type Stored = StoredEvent<ArtifactBlockEvent>;
type VersionEvent = StoredEvent<ArtifactEvent>;
type UploadStored = StoredEvent<UploadEvent>;

const ROWS_PER_STATEMENT = 500;

function isUploadEvent(e: Stored): e is UploadStored {
  switch (e.type) {
    case 'artifact.stored':
    case 'artifact.deleted':
      return false;
    case 'artifact.upload_begun':
    case 'artifact.upload_appended':
    case 'artifact.upload_extended':
    case 'artifact.upload_committed':
    case 'artifact.upload_expired':
      return true;
    default:
      return assertNever(e);
  }
}

async function inChunks<T>(items: T[], work: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) await work(items.slice(i, i + ROWS_PER_STATEMENT));
}

const UPSERT_ENTRIES = `INSERT INTO artifact_entries (tenant, ns, id, version, blob, size, sha256, content_type, metadata, created_at, updated_at, seq, provenance)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::jsonb[], $10::timestamptz[], $11::timestamptz[], $12::bigint[], $13::jsonb[])
  ON CONFLICT (tenant, ns, id) DO UPDATE SET version = EXCLUDED.version, blob = EXCLUDED.blob, size = EXCLUDED.size,
    sha256 = EXCLUDED.sha256, content_type = EXCLUDED.content_type, metadata = EXCLUDED.metadata,
    created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at, seq = EXCLUDED.seq, provenance = EXCLUDED.provenance`;

async function upsertEntries(m: SqlExecutor, events: StoredEvent<ArtifactStored>[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => {
    const d = e.data;
    return [e.tenant, e.ns, e.entity, d.version, d.blob, d.size, d.sha256, d.contentType, JSON.stringify(d.metadata), d.createdAt, d.updatedAt, e.seq, jsonText(provenanceOf(e))];
  });
  await m.prepared(UPSERT_ENTRIES, columnsOf(rows));
}

async function deleteEntries(m: SqlExecutor, events: StoredEvent<ArtifactDeleted>[]): Promise<void> {
  await inChunks(events, (chunk) =>
    m.prepared(
      `DELETE FROM artifact_entries a USING unnest($1::text[], $2::text[], $3::text[]) AS d(tenant, ns, id)
       WHERE a.tenant = d.tenant AND a.ns = d.ns AND a.id = d.id`,
      [chunk.map((e) => e.tenant), chunk.map((e) => e.ns), chunk.map((e) => e.entity)],
    ),
  );
}

/** The blob an event stopped referencing: the replaced version's, or the deleted one's. */
function releasedBlob(e: VersionEvent): string | null {
  switch (e.type) {
    case 'artifact.stored':
      return e.data.replacedBlob;
    case 'artifact.deleted':
      return e.data.blob;
    default:
      return assertNever(e);
  }
}

/** Blobs that stopped being referenced, with the time of the event that released them. */
async function recordReleased(m: SqlExecutor, events: VersionEvent[]): Promise<void> {
  const released = events.flatMap((e) => {
    const blob = releasedBlob(e);
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

/** The status an upload event leaves its upload in, and the expiry it sets (null: it sets none). */
function uploadChange(e: UploadStored): { status: string; expiresAt: string | null } {
  switch (e.type) {
    case 'artifact.upload_begun':
    case 'artifact.upload_appended':
    case 'artifact.upload_extended':
      return { status: 'open', expiresAt: e.data.expiresAt };
    case 'artifact.upload_committed':
      return { status: 'committed', expiresAt: null };
    case 'artifact.upload_expired':
      return { status: 'expired', expiresAt: e.data.expiresAt };
    default:
      return assertNever(e);
  }
}

/**
 * One row per upload: its newest status and the newest expiry its events in the batch set. A
 * commit carries no expiry, and its row always exists from the begin before it, so a commit only
 * changes the status: a replay in different batches gives the same rows.
 */
async function upsertUploads(m: SqlExecutor, events: UploadStored[]): Promise<void> {
  const uploads = new Map<string, { e: UploadStored; status: string; expiresAt: string | null }>();
  for (const e of events) {
    const key = `${e.tenant}\u0000${e.ns}\u0000${e.entity}`;
    const { status, expiresAt } = uploadChange(e);
    uploads.set(key, { e, status, expiresAt: expiresAt ?? uploads.get(key)?.expiresAt ?? null });
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

/** Each artifact's newest version event in the batch, by what it does to the artifact's row. */
function byChange(events: VersionEvent[]): { stored: StoredEvent<ArtifactStored>[]; deleted: StoredEvent<ArtifactDeleted>[] } {
  const stored: StoredEvent<ArtifactStored>[] = [];
  const deleted: StoredEvent<ArtifactDeleted>[] = [];
  for (const e of newestPerAggregate(events)) {
    switch (e.type) {
      case 'artifact.stored':
        stored.push(e);
        break;
      case 'artifact.deleted':
        deleted.push(e);
        break;
      default:
        assertNever(e);
    }
  }
  return { stored, deleted };
}

export const artifactProjection: Projection<ArtifactBlockEvent> = {
  name: 'artifact_entries',
  block: 'artifact',
  tables: ['artifact_entries', 'artifact_uploads', 'artifact_released_blobs'],
  canHandle: handles<ArtifactBlockEvent>({
    'artifact.stored': true,
    'artifact.deleted': true,
    'artifact.upload_begun': true,
    'artifact.upload_appended': true,
    'artifact.upload_extended': true,
    'artifact.upload_committed': true,
    'artifact.upload_expired': true,
  }),
  async apply(m, events) {
    const versions = events.filter((e) => !isUploadEvent(e));
    const { stored, deleted } = byChange(versions);
    await upsertEntries(m, stored);
    await deleteEntries(m, deleted);
    await recordReleased(m, versions);
    await upsertUploads(m, events.filter(isUploadEvent));
  },
};
