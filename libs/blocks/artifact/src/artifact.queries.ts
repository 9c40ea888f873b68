import type { Provenance } from '@memsidecar/core';
import type { Database } from '@memsidecar/projections';

export interface ArtifactRow {
  id: string;
  version: number;
  blob: string;
  size: string;
  sha256: string;
  content_type: string;
  metadata: Record<string, string>;
  created_at: Date;
  seq: string;
  provenance: Provenance | null;
}

export interface OpenUploadRow {
  tenant: string;
  ns: string;
  uuid: string;
}

const COLUMNS = 'id, version, blob, size, sha256, content_type, metadata, created_at, seq, provenance';

/** Reads of the artifact read models. */
export class ArtifactQueries {
  constructor(private readonly db: Database) {}

  async get(tenant: string, ns: string, id: string): Promise<ArtifactRow | null> {
    const rows = await this.db.prepared<ArtifactRow>(`SELECT ${COLUMNS} FROM artifact_entries WHERE tenant = $1 AND ns = $2 AND id = $3`, [tenant, ns, id]);
    return rows[0] ?? null;
  }

  /** Ids in byte order after `startAfter` (the column is COLLATE "C"), one extra row to tell whether more follow. */
  async list(tenant: string, ns: string, o: { prefix: string; startAfter: string; limit: number; filter: Record<string, string> }): Promise<ArtifactRow[]> {
    return this.db.prepared<ArtifactRow>(
      `SELECT ${COLUMNS} FROM artifact_entries
       WHERE tenant = $1 AND ns = $2 AND id >= $3 AND starts_with(id, $3) AND id > $4 AND metadata @> $5::jsonb
       ORDER BY id LIMIT $6`,
      [tenant, ns, o.prefix, o.startAfter, JSON.stringify(o.filter), o.limit + 1],
    );
  }

  /** Open uploads with no append before `now`, oldest first: the expiry worker records them. */
  async lapsedUploads(now: Date, limit: number): Promise<OpenUploadRow[]> {
    return this.db.prepared<OpenUploadRow>(
      `SELECT tenant, ns, uuid FROM artifact_uploads WHERE status = 'open' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
  }

  /** Whether a blob must be kept: an artifact points at it, or it was released less than the grace period ago. */
  async isBlobInUse(tenant: string, ns: string, blob: string, releasedAfter: Date): Promise<boolean> {
    const rows = await this.db.prepared<{ used: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM artifact_entries WHERE tenant = $1 AND ns = $2 AND blob = $3)
           OR EXISTS (SELECT 1 FROM artifact_released_blobs WHERE tenant = $1 AND ns = $2 AND blob = $3 AND released_at > $4) AS used`,
      [tenant, ns, blob, releasedAfter],
    );
    return rows[0].used;
  }

  async uploadStatus(tenant: string, ns: string, uuid: string): Promise<string | null> {
    const rows = await this.db.prepared<{ status: string }>(`SELECT status FROM artifact_uploads WHERE tenant = $1 AND ns = $2 AND uuid = $3`, [tenant, ns, uuid]);
    return rows[0]?.status ?? null;
  }
}
