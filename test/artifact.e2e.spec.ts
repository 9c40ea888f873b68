import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInbox, headers } from '@nats-io/transport-node';
import { FsBlobStore, JetStreamBlobStore, type BlobStore } from '@memsidecar/artifact';
import { NatsTestClient, waitFor } from '@memsidecar/testing';
import { serviceFixture } from './support/fixture';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');
const KiB = 1024;
const MiB = 1024 * KiB;

/** Resident memory of the service process, found by its data dir in its environment (no pid is handed out). */
function serviceRssBytes(dataDir: string): number {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MEMSIDECAR_DATA_DIR=${dataDir}`)) continue;
      const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
      return Number(line.replace(/\D+/g, '')) * 1024;
    } catch {
      // a process that went away, or one of someone else's
    }
  }
  throw new Error(`no process with MEMSIDECAR_DATA_DIR=${dataDir}`);
}

/** Bytes from a generator: a random block with a counter per chunk, never held whole. */
function* generated(total: number, chunk: number): Generator<Buffer> {
  const block = randomBytes(chunk);
  for (let i = 0; i * chunk < total; i++) {
    const piece = Buffer.from(block.subarray(0, Math.min(chunk, total - i * chunk)));
    piece.writeUInt32BE(i, 0);
    yield piece;
  }
}

// The memory bound needs a large upload to mean anything (holding it would add over 100 MiB); the
// other store runs the same path at a size that proves it round-trips.
const configs = [
  { db: 'postgres', store: 'jetstream', uploadMiB: 100 },
  { db: 'pglite', store: 'fs', uploadMiB: 16 },
] as const;

/**
 * What artifacts need a running service for: the JetStream object store behind the service, reads
 * streamed over NATS (items, the end marker, an error mid-stream), and a large upload through the
 * transport without the service holding it. Their behaviour (versions, ranges, listing, uploads and
 * digests, upload expiry, the collector's grace period, other tenants and namespaces, bad input) is
 * specified in process on the filesystem store: test/in-process/artifact.spec.ts.
 */
describe.each(configs)('artifact - end to end over NATS on $db with the $store blob store', ({ db, store, uploadMiB }) => {
  const blobDir = mkdtempSync(join(tmpdir(), 'memsidecar-artifacts-'));
  const f = serviceFixture(db, {
    MEMSIDECAR_READ_WAIT_MS: '5000',
    ...(store === 'fs' ? { MEMSIDECAR_ARTIFACT_STORE: `fs:${blobDir}` } : {}),
    MEMSIDECAR_ARTIFACT_UPLOAD_TTL_MS: '3000',
    MEMSIDECAR_ARTIFACT_GC_GRACE_MS: '1500',
    MEMSIDECAR_ARTIFACT_GC_INTERVAL_MS: '300',
  });
  let client: NatsTestClient;
  let blobs: BlobStore;
  afterAll(() => rmSync(blobDir, { recursive: true, force: true }));
  beforeAll(async () => {
    client = f.client;
    blobs = store === 'fs' ? new FsBlobStore(blobDir) : await JetStreamBlobStore.open(client.nc, 'MEMSIDECAR_ARTIFACTS');
  });

  const blobNames = async (ns: string) => {
    const names: string[] = [];
    for await (const b of blobs.list()) if (b.key.ns === ns) names.push(b.key.name);
    return names.sort();
  };

  /** `artifact.read` hashed as it arrives, so the test never holds a large blob. */
  async function readStream(body: Record<string, unknown>): Promise<{ size: number; sha256: string; items: number; offsets: boolean; error?: any }> {
    const inbox = createInbox();
    const sub = client.nc.subscribe(inbox);
    const h = headers();
    h.set('Authorization', `Bearer ${f.service.adminToken()}`);
    client.nc.publish('mem.v1.artifact.read', JSON.stringify(body), { headers: h, reply: inbox });
    const hash = createHash('sha256');
    let size = 0;
    let items = 0;
    let offsets = true;
    const timer = setTimeout(() => sub.unsubscribe(), 60_000);
    try {
      for await (const m of sub) {
        if (m.headers?.get('Mem-End') === 'true') break;
        const item = m.json<{ offset: number; data: string; error?: unknown }>();
        if (m.headers?.get('Nats-Service-Error-Code')) return { size, sha256: '', items, offsets, error: item.error };
        const bytes = Buffer.from(item.data, 'base64');
        offsets &&= item.offset === ((body.offset as number) ?? 0) + size && bytes.length <= 256 * KiB;
        hash.update(bytes);
        size += bytes.length;
        items++;
      }
    } finally {
      clearTimeout(timer);
      sub.unsubscribe();
    }
    return { size, sha256: hash.digest('hex'), items, offsets };
  }

  it('round-trips 0 B, 11 B and 200 KB through put, get and artifact.read over NATS; a missing one is NOT_FOUND as a service error', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('hello world'), randomBytes(200_000)]) {
      const ref = await client.ok('artifact.put', { ns: 'sizes', id: `s${bytes.length}`, data: b64(bytes) });
      expect(ref).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
      const got = await client.ok('artifact.get', { ns: 'sizes', id: `s${bytes.length}` });
      expect(Buffer.from(got.data, 'base64').equals(bytes)).toBe(true);
      expect(await readStream({ ns: 'sizes', id: `s${bytes.length}` })).toMatchObject({ size: bytes.length, sha256: sha256(bytes), offsets: true });
    }
    expect((await readStream({ ns: 'sizes', id: 'never' })).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it(`round-trips ${uploadMiB} MB through upload (512 KiB appends) and artifact.read without the service holding it`, async () => {
    const total = uploadMiB * MiB;
    const started = Date.now();
    const baseline = serviceRssBytes(f.service.dataDir);
    let peak = baseline;
    const { uploadId } = await client.ok('artifact.upload.begin', { ns: 'huge', id: 'blob.bin', contentType: 'application/x-test', metadata: { run: '1' } });
    const expected = createHash('sha256');
    let size = 0;
    for (const chunk of generated(total, 512 * KiB)) {
      expected.update(chunk);
      size = (await client.ok('artifact.upload.append', { uploadId, data: b64(chunk) })).size;
      peak = Math.max(peak, serviceRssBytes(f.service.dataDir));
    }
    expect(size).toBe(total);
    const digest = expected.digest('hex');
    const ref = await client.ok('artifact.upload.commit', { uploadId, sha256: digest.toUpperCase() }, { timeoutMs: 60_000 });
    peak = Math.max(peak, serviceRssBytes(f.service.dataDir));
    const uploaded = Date.now();
    expect(ref).toMatchObject({ id: 'blob.bin', size: total, sha256: digest, contentType: 'application/x-test', metadata: { run: '1' }, version: 1 });
    const read = await readStream({ ns: 'huge', id: 'blob.bin' });
    peak = Math.max(peak, serviceRssBytes(f.service.dataDir));
    console.log(
      `${store}: ${uploadMiB} MB upload+commit ${uploaded - started} ms, read ${Date.now() - uploaded} ms, service RSS ${Math.round(baseline / MiB)} -> peak ${Math.round(peak / MiB)} MiB`,
    );
    // Items are at most 256 KiB each (checked with the offsets).
    expect(read).toMatchObject({ size: total, sha256: digest, offsets: true });
    expect(read.items).toBeGreaterThanOrEqual(total / (256 * KiB));
    // Holding the upload (let alone base64 of it) would add at least its size.
    if (uploadMiB >= 100) expect(peak - baseline).toBeLessThan(0.8 * total);
    const tail = await client.ok('artifact.get', { ns: 'huge', id: 'blob.bin', offset: total - 3 * KiB, length: 10 * KiB });
    expect(Buffer.from(tail.data, 'base64').length).toBe(3 * KiB);
    // The staged parts go once the upload is committed; only the final blob stays.
    expect(await waitFor(() => blobNames('huge'), (n) => n.length === 1, 15_000)).toHaveLength(1);
  }, 120_000);
});
