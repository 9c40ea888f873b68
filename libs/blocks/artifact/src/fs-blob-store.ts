import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { BlobNotFound, HashingTap, checkBlobKey, type BlobInfo, type BlobKey, type BlobStore, type BlobWritten } from './blob-store';

const TMP = '.tmp';

/** base64url: reversible, only [A-Za-z0-9_-], so a part can never be `.`, `..` or hold a separator. */
const encode = (part: string): string => Buffer.from(part, 'utf8').toString('base64url');
const decode = (segment: string): string => Buffer.from(segment, 'base64url').toString('utf8');
const isSegment = (s: string) => /^[A-Za-z0-9_-]+$/.test(s);

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Blobs as files: `<root>/<tenant>/<ns>/<2-char shard>/<name>`, each part base64url-encoded and the
 * shard taken from a hash of the name, so no directory grows without bound. A put writes a temp
 * file under `<root>/.tmp` and renames it into place, so a reader sees a blob whole or not at all.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    if (!isAbsolute(root)) throw new Error(`artifact store directory must be absolute: ${root}`);
    this.root = resolve(root);
  }

  /** The file of a key; refuses anything that would resolve outside the root (it cannot, by encoding). */
  path(key: BlobKey): string {
    checkBlobKey(key);
    const shard = createHash('sha256').update(key.name).digest('hex').slice(0, 2);
    const file = join(this.root, encode(key.tenant), encode(key.ns), shard, encode(key.name));
    if (!file.startsWith(this.root + sep)) throw new Error(`blob path escapes the store: ${file}`);
    return file;
  }

  async put(key: BlobKey, chunks: AsyncIterable<Uint8Array>): Promise<BlobWritten> {
    const target = this.path(key);
    const tmpDir = join(this.root, TMP);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    const tap = new HashingTap();
    const file = await open(tmp, 'wx', 0o600);
    try {
      for await (const chunk of tap.tap(chunks)) await file.write(chunk);
      await file.sync();
    } catch (e) {
      await file.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await file.close();
    await mkdir(join(target, '..'), { recursive: true });
    await rename(tmp, target);
    return tap.result();
  }

  async *read(key: BlobKey, offset = 0, length?: number): AsyncGenerator<Uint8Array> {
    const file = this.path(key);
    const size = (await this.stat(key))?.size;
    if (size === undefined) throw new BlobNotFound(key);
    const end = Math.min(size, length === undefined ? size : offset + length);
    if (offset >= end) return;
    // The file is never rewritten in place, so an open stream keeps reading the version it opened.
    yield* createReadStream(file, { start: offset, end: end - 1, highWaterMark: 256 * 1024 });
  }

  async stat(key: BlobKey): Promise<{ size: number; modified: Date } | null> {
    try {
      const s = await stat(this.path(key));
      return { size: s.size, modified: s.mtime };
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
  }

  async delete(key: BlobKey): Promise<boolean> {
    try {
      await unlink(this.path(key));
      return true;
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
  }

  async *list(): AsyncGenerator<BlobInfo> {
    for (const t of await this.entries(this.root)) {
      if (!isSegment(t)) continue;
      for (const n of await this.entries(join(this.root, t))) {
        for (const shard of await this.entries(join(this.root, t, n))) {
          for (const f of await this.entries(join(this.root, t, n, shard))) {
            const s = await stat(join(this.root, t, n, shard, f)).catch(() => null);
            if (s?.isFile()) yield { key: { tenant: decode(t), ns: decode(n), name: decode(f) }, size: s.size, modified: s.mtime };
          }
        }
      }
    }
  }

  async sweepUnfinished(before: Date): Promise<number> {
    let removed = 0;
    for (const f of await this.entries(join(this.root, TMP))) {
      const s = await stat(join(this.root, TMP, f)).catch(() => null);
      if (s && s.mtime < before) {
        await rm(join(this.root, TMP, f), { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}

  private async entries(dir: string): Promise<string[]> {
    try {
      return (await readdir(dir)).sort();
    } catch (e) {
      if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw e;
    }
  }
}
