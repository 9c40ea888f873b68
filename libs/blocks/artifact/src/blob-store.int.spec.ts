import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { isMemError } from '@memsidecar/core';
import { startTestNats, type TestNats } from '@memsidecar/testing';
import type { BlobKey, BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { JetStreamBlobStore } from './jetstream-blob-store';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** 100 MB from a seeded pattern, generated chunk by chunk, so the test never holds it whole. */
async function* generated(total: number, chunk = 1024 * 1024): AsyncGenerator<Uint8Array> {
  const block = randomBytes(chunk);
  for (let sent = 0; sent < total; sent += chunk) {
    const piece = Buffer.from(block.subarray(0, Math.min(chunk, total - sent)));
    piece.writeUInt32BE(sent / chunk, 0);
    yield piece;
  }
}

async function readAll(store: BlobStore, key: BlobKey, offset?: number, length?: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of store.read(key, offset, length)) parts.push(c);
  return Buffer.concat(parts);
}

const key = (name: string, tenant = 't1', ns = 'docs'): BlobKey => ({ tenant, ns, name });

interface Subject {
  store: BlobStore;
  /** Every file or object name the store holds, to prove nothing landed outside its root. */
  escaped(): string[];
}

function blobStoreContract(kind: string, open: () => Promise<Subject>, close: () => Promise<void>) {
  describe(`blob store contract - ${kind}`, () => {
    let s: Subject;
    beforeAll(async () => {
      s = await open();
    });
    afterAll(close);

    it('round-trips 0 B, 11 B and 200 KB byte for byte with the right SHA-256', async () => {
      for (const bytes of [Buffer.alloc(0), Buffer.from('hello world'), randomBytes(200 * 1000)]) {
        const k = key(`rt/${bytes.length}`);
        expect(await s.store.put(k, chunked(bytes, 64 * 1024))).toEqual({ size: bytes.length, sha256: sha256(bytes) });
        const back = await readAll(s.store, k);
        expect(back.equals(bytes)).toBe(true);
        expect(await s.store.stat(k)).toEqual({ size: bytes.length, modified: expect.any(Date) });
      }
    });

    it('reads ranges: inside, across chunk boundaries, clipped at the end, empty past it', async () => {
      const bytes = randomBytes(300 * 1024 + 17);
      const k = key('ranges');
      await s.store.put(k, chunked(bytes, 50_000));
      expect((await readAll(s.store, k, 3, 4)).equals(bytes.subarray(3, 7))).toBe(true);
      expect((await readAll(s.store, k, 131_000, 2_000)).equals(bytes.subarray(131_000, 133_000))).toBe(true);
      expect((await readAll(s.store, k, 262_144, 131_072)).equals(bytes.subarray(262_144, 393_216))).toBe(true);
      expect((await readAll(s.store, k, bytes.length - 5, 100)).equals(bytes.subarray(bytes.length - 5))).toBe(true);
      expect((await readAll(s.store, k, 200_000)).equals(bytes.subarray(200_000))).toBe(true);
      expect((await readAll(s.store, k, bytes.length)).length).toBe(0);
      expect((await readAll(s.store, k, bytes.length + 10, 5)).length).toBe(0);
      expect((await readAll(s.store, k, 10, 0)).length).toBe(0);
    });

    it('stat, delete and list: a deleted blob is gone, deleting twice is not an error, other tenants are apart', async () => {
      await s.store.put(key('a/1'), chunked(Buffer.from('one'), 8));
      await s.store.put(key('a/1', 't2'), chunked(Buffer.from('other tenant'), 8));
      const listed = [];
      for await (const b of s.store.list()) listed.push(b);
      expect(listed).toContainEqual({ key: key('a/1'), size: 3, modified: expect.any(Date) });
      expect(listed).toContainEqual({ key: key('a/1', 't2'), size: 12, modified: expect.any(Date) });
      expect(await s.store.delete(key('a/1'))).toBe(true);
      expect(await s.store.delete(key('a/1'))).toBe(false);
      expect(await s.store.stat(key('a/1'))).toBeNull();
      await expect(readAll(s.store, key('a/1'))).rejects.toThrow(/not found/);
      expect((await readAll(s.store, key('a/1', 't2'))).toString()).toBe('other tenant');
      expect(await s.store.delete(key('never'))).toBe(false);
    });

    it('names with path tricks stay inside the store and round-trip as themselves', async () => {
      const tricks = ['..', '../../etc/passwd', '/abs', '%2e%2e/%2e%2e', 'a/../../b', '.', 'x\\..\\y', 'é/☃', 'n'.repeat(180)];
      for (const [i, name] of tricks.entries()) {
        for (const k of [key(name), key('ok', name), key('ok', 't', name)]) {
          await s.store.put(k, chunked(Buffer.from(`trick ${i}`), 4));
          expect((await readAll(s.store, k)).toString()).toBe(`trick ${i}`);
        }
      }
      expect(s.escaped()).toEqual([]);
      const names = [];
      for await (const b of s.store.list()) names.push(b.key.name);
      for (const name of tricks) expect(names).toContain(name);
    });

    it('refuses empty, NUL-bearing and overlong key parts with INVALID_ARGUMENT', async () => {
      for (const k of [key(''), key('a\u0000b'), key('n'.repeat(181)), key('x', ''), key('x', 't', 'é'.repeat(91))]) {
        const error = await s.store.put(k, chunked(Buffer.from('x'), 1)).catch((e) => e);
        expect(isMemError(error) && error.code).toBe('INVALID_ARGUMENT');
      }
      expect(s.escaped()).toEqual([]);
    });

    it('round-trips 100 MB streamed in and out with the right SHA-256, reading a range near the end', async () => {
      const total = 100 * 1024 * 1024;
      const expected = createHash('sha256');
      const hashed = async function* () {
        for await (const c of generated(total)) {
          expected.update(c);
          yield c;
        }
      };
      const started = Date.now();
      const written = await s.store.put(key('big'), hashed());
      const digest = expected.digest('hex');
      expect(written).toEqual({ size: total, sha256: digest });
      const back = createHash('sha256');
      let size = 0;
      for await (const c of s.store.read(key('big'))) {
        back.update(c);
        size += c.length;
      }
      expect({ size, sha256: back.digest('hex') }).toEqual(written);
      const tail = await readAll(s.store, key('big'), total - 1024 * 1024 - 10, 20);
      expect(tail.length).toBe(20);
      console.log(`${kind}: 100 MB put + full read in ${Date.now() - started} ms`);
    }, 120_000);
  });
}

let fsRoot: string;
blobStoreContract(
  'filesystem',
  async () => {
    const parent = mkdtempSync(join(tmpdir(), 'memsidecar-blobs-'));
    fsRoot = join(parent, 'root');
    const store = new FsBlobStore(fsRoot);
    return {
      store,
      // Anything in the parent directory that is not the root itself or under it escaped.
      escaped: () => readdirSync(parent, { recursive: true }).map(String).filter((p) => p !== 'root' && !p.startsWith(`root/`)),
    };
  },
  async () => rmSync(join(fsRoot, '..'), { recursive: true, force: true }),
);

let nats: TestNats;
let nc: NatsConnection;
blobStoreContract(
  'jetstream object store',
  async () => {
    nats = await startTestNats();
    nc = await connect({ servers: nats.url });
    const store = await JetStreamBlobStore.open(nc, 'TEST_ARTIFACTS');
    // Object names never leave the bucket: each is one key of its own stream, whatever it contains.
    return { store, escaped: () => [] };
  },
  async () => {
    await nc?.close();
    await nats?.stop();
  },
);

describe('blob store - filesystem layout', () => {
  it('puts every blob at <root>/<tenant>/<ns>/<2-char shard>/<name>, each part encoded', () => {
    const store = new FsBlobStore('/srv/blobs');
    const path = relative('/srv/blobs', store.path(key('report.pdf/1-abc', 'acme', 'docs')));
    const [tenant, ns, shard, name, ...rest] = path.split('/');
    expect(rest).toEqual([]);
    expect([tenant, ns, name].map((p) => Buffer.from(p, 'base64url').toString())).toEqual(['acme', 'docs', 'report.pdf/1-abc']);
    expect(shard).toMatch(/^[0-9a-f]{2}$/);
    expect(() => new FsBlobStore('relative/dir')).toThrow(/absolute/);
  });

  it('sweeps temp files of writes that never finished, once old enough', async () => {
    const root = mkdtempSync(join(tmpdir(), 'memsidecar-blobs-'));
    const store = new FsBlobStore(root);
    const failing = async function* () {
      yield Buffer.from('partial');
      throw new Error('client went away');
    };
    await expect(store.put(key('x'), failing())).rejects.toThrow(/went away/);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
    expect(await store.stat(key('x'))).toBeNull();
    // What a killed process leaves: a temp file nobody renames. Young ones may still be written to.
    writeFileSync(join(root, '.tmp', 'left-by-a-crash'), 'partial');
    expect(await store.sweepUnfinished(new Date(Date.now() - 60_000))).toBe(0);
    utimesSync(join(root, '.tmp', 'left-by-a-crash'), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    expect(await store.sweepUnfinished(new Date(Date.now() - 60_000))).toBe(1);
    expect(readdirSync(join(root, '.tmp'))).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });
});
