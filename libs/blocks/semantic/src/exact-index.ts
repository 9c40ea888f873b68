import type { Database } from '@memsidecar/projections';
import { decodeVector } from './vector-codec';

interface Entry {
  version: number;
  unit: Float32Array;
}

/** Upper bound on cached vector components (4 bytes each) before whole namespaces are forgotten. */
const MAX_CACHED_FLOATS = 64 * 1024 * 1024;

/**
 * Exact cosine search where Postgres has no pgvector: candidate ids and versions come from the read
 * model on every query (so filters and freshness are Postgres's), the unit vectors from a cache that
 * is refreshed for every id whose version changed. The cache is derived state; any instance
 * rebuilds it from the read model.
 */
export class ExactIndex {
  private readonly namespaces = new Map<string, Map<string, Entry>>();
  private cachedFloats = 0;

  constructor(private readonly db: Database) {}

  async top(
    key: { tenant: string; ns: string },
    candidates: { id: string; version: number }[],
    query: number[],
    k: number,
  ): Promise<{ id: string; score: number }[]> {
    const entries = this.namespace(`${key.tenant}\u0000${key.ns}`);
    const stale = candidates.filter((c) => entries.get(c.id)?.version !== c.version).map((c) => c.id);
    if (stale.length > 0) await this.load(key, entries, stale);
    const q = Float32Array.from(query);
    const best: { id: string; score: number }[] = [];
    for (const c of candidates) {
      const hit = { id: c.id, score: dot(q, entries.get(c.id)!.unit) };
      if (best.length === k && !better(hit, best[k - 1])) continue;
      let at = best.length;
      while (at > 0 && better(hit, best[at - 1])) at--;
      best.splice(at, 0, hit);
      if (best.length > k) best.pop();
    }
    return best;
  }

  private namespace(key: string): Map<string, Entry> {
    let entries = this.namespaces.get(key);
    if (entries) {
      this.namespaces.delete(key);
    } else {
      entries = new Map();
    }
    this.namespaces.set(key, entries);
    return entries;
  }

  private async load(key: { tenant: string; ns: string }, entries: Map<string, Entry>, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 5000) {
      const rows = await this.db.prepared<{ id: string; version: number; vector: string }>(
        `SELECT id, version, vector FROM semantic_records WHERE tenant = $1 AND ns = $2 AND id = ANY($3::text[])`,
        [key.tenant, key.ns, ids.slice(i, i + 5000)],
      );
      for (const r of rows) {
        const v = decodeVector(r.vector);
        const norm = Math.hypot(...v) || 1;
        const previous = entries.get(r.id);
        if (previous) this.cachedFloats -= previous.unit.length;
        entries.set(r.id, { version: r.version, unit: Float32Array.from(v, (x) => x / norm) });
        this.cachedFloats += v.length;
      }
    }
    this.evict();
  }

  /** Forgets least recently searched namespaces (never the newest) while over the bound. */
  private evict(): void {
    while (this.cachedFloats > MAX_CACHED_FLOATS && this.namespaces.size > 1) {
      const [oldest, entries] = this.namespaces.entries().next().value as [string, Map<string, Entry>];
      for (const e of entries.values()) this.cachedFloats -= e.unit.length;
      this.namespaces.delete(oldest);
    }
  }
}

/** Higher score first; equal scores by id, as the SQL paths order them. */
const better = (a: { id: string; score: number }, b: { id: string; score: number }): boolean => a.score > b.score || (a.score === b.score && a.id < b.id);

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
