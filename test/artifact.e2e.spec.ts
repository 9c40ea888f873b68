import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInbox, headers } from '@nats-io/transport-node';
import { aggregateSubject } from '@memsidecar/core';
import { FsBlobStore, JetStreamBlobStore, type BlobStore } from '@memsidecar/artifact';
import { NatsTestClient, sleep, waitFor } from '@memsidecar/testing';
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
  const logOf = (ns: string, entity: string) => f.logOf(aggregateSubject('mem', { block: 'artifact', tenant: 'default', ns, entity }));

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

  it('put, get, stat, list and delete', async () => {
    const ref = await client.ok('artifact.put', { ns: 'rt', id: 'notes.txt', contentType: 'text/plain', metadata: { kind: 'note' }, data: b64('abcdefghij') });
    expect(ref).toEqual({ id: 'notes.txt', size: 10, sha256: sha256(Buffer.from('abcdefghij')), contentType: 'text/plain', metadata: { kind: 'note' }, createdAt: expect.any(String), version: 1, seq: expect.any(Number) });
    const got = await client.ok('artifact.get', { ns: 'rt', id: 'notes.txt' });
    expect(got).toEqual({ ref, data: b64('abcdefghij') });
    expect(Buffer.from((await client.ok('artifact.get', { ns: 'rt', id: 'notes.txt', offset: 3, length: 4 })).data, 'base64').toString()).toBe('defg');
    expect((await client.ok('artifact.get', { ns: 'rt', id: 'notes.txt', offset: 8, length: 100 })).data).toBe(b64('ij'));
    expect((await client.ok('artifact.get', { ns: 'rt', id: 'notes.txt', offset: 99 })).data).toBe('');
    expect(await client.ok('artifact.stat', { ns: 'rt', id: 'notes.txt' })).toEqual({ found: true, ...ref });

    const anon = await client.ok('artifact.put', { ns: 'rt', data: b64('x') });
    expect(anon).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), contentType: 'application/octet-stream', metadata: {}, version: 1 });
    for (const id of ['b', 'B', 'a-2', 'a.1']) await client.ok('artifact.put', { ns: 'rt', id, metadata: { kind: id === 'b' ? 'note' : 'other' }, data: b64(id) });
    const all = await client.ok('artifact.list', { ns: 'rt' });
    expect(all.items.map((i: { id: string }) => i.id)).toEqual([anon.id, 'B', 'a-2', 'a.1', 'b', 'notes.txt'].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
    expect(all.items.find((i: { id: string }) => i.id === 'notes.txt')).toEqual(ref);
    expect(all.nextStartAfter).toBeNull();
    // The server-assigned UUID may itself start with "a".
    const withA = ['a-2', 'a.1', ...(anon.id.startsWith('a') ? [anon.id] : [])].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
    expect((await client.ok('artifact.list', { ns: 'rt', prefix: 'a' })).items.map((i: { id: string }) => i.id)).toEqual(withA);
    expect((await client.ok('artifact.list', { ns: 'rt', filter: { kind: 'note' } })).items.map((i: { id: string }) => i.id)).toEqual(['b', 'notes.txt']);
    const page = await client.ok('artifact.list', { ns: 'rt', limit: 2, startAfter: 'B' });
    expect(page).toEqual({ items: [expect.objectContaining({ id: 'a-2' }), expect.objectContaining({ id: 'a.1' })], nextStartAfter: 'a.1' });

    expect(await client.ok('artifact.delete', { ns: 'rt', id: 'notes.txt' })).toEqual({ existed: true, seq: expect.any(Number) });
    expect(await client.ok('artifact.delete', { ns: 'rt', id: 'notes.txt' })).toEqual({ existed: false });
    expect(await client.ok('artifact.stat', { ns: 'rt', id: 'notes.txt' })).toEqual({ found: false });
    expect((await client.call('artifact.get', { ns: 'rt', id: 'notes.txt' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await client.call('artifact.get', { ns: 'rt', id: 'never' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await readStream({ ns: 'rt', id: 'never' })).error).toMatchObject({ code: 'NOT_FOUND' });

    const events = await logOf('rt', 'notes.txt');
    expect(events.map((e) => e.type)).toEqual(['artifact.stored', 'artifact.deleted']);
    expect(JSON.stringify(events)).not.toContain(b64('abcdefghij'));
  });

  it('the same id again is a new version; createdAt is kept; old and deleted blobs are collected after the grace period', async () => {
    const v1 = await client.ok('artifact.put', { ns: 'ver', id: 'doc', data: b64('one') });
    await sleep(5);
    const v2 = await client.ok('artifact.put', { ns: 'ver', id: 'doc', contentType: 'text/plain', data: b64('two!') });
    expect(v2).toMatchObject({ version: 2, createdAt: v1.createdAt, size: 4, contentType: 'text/plain' });
    expect((await client.ok('artifact.get', { ns: 'ver', id: 'doc' })).data).toBe(b64('two!'));
    const [first, second] = (await logOf('ver', 'doc')).map((e) => e.data as { blob: string });
    expect(first.blob).not.toBe(second.blob);
    expect(await waitFor(() => blobNames('ver'), (n) => n.length === 1, 15_000)).toEqual([second.blob]);
    await client.ok('artifact.delete', { ns: 'ver', id: 'doc' });
    expect(await waitFor(() => blobNames('ver'), (n) => n.length === 0, 15_000)).toEqual([]);
    const v1again = await client.ok('artifact.put', { ns: 'ver', id: 'doc', data: b64('again') });
    expect(v1again.version).toBe(1);
  });

  it('round-trips 0 B, 11 B and 200 KB through put and get, byte for byte with the right sha256', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('hello world'), randomBytes(200_000)]) {
      const ref = await client.ok('artifact.put', { ns: 'sizes', id: `s${bytes.length}`, data: b64(bytes) });
      expect(ref).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
      const got = await client.ok('artifact.get', { ns: 'sizes', id: `s${bytes.length}` });
      expect(Buffer.from(got.data, 'base64').equals(bytes)).toBe(true);
      expect(await readStream({ ns: 'sizes', id: `s${bytes.length}` })).toMatchObject({ size: bytes.length, sha256: sha256(bytes), offsets: true });
    }
  });

  it('get returns at most 512 KiB per reply; the rest is read by range', async () => {
    const bytes = randomBytes(600 * KiB);
    await client.ok('artifact.upload.begin', { ns: 'range', id: 'big' }).then(async ({ uploadId }) => {
      await client.ok('artifact.upload.append', { uploadId, data: b64(bytes.subarray(0, 400 * KiB)) });
      await client.ok('artifact.upload.append', { uploadId, data: b64(bytes.subarray(400 * KiB)) });
      await client.ok('artifact.upload.commit', { uploadId });
    });
    const head = Buffer.from((await client.ok('artifact.get', { ns: 'range', id: 'big' })).data, 'base64');
    expect(head.equals(bytes.subarray(0, 512 * KiB))).toBe(true);
    const capped = Buffer.from((await client.ok('artifact.get', { ns: 'range', id: 'big', offset: 10, length: 10 * MiB })).data, 'base64');
    expect(capped.equals(bytes.subarray(10, 10 + 512 * KiB))).toBe(true);
    const rest = Buffer.from((await client.ok('artifact.get', { ns: 'range', id: 'big', offset: 512 * KiB })).data, 'base64');
    expect(rest.equals(bytes.subarray(512 * KiB))).toBe(true);
    expect(await readStream({ ns: 'range', id: 'big', offset: 100, length: 300 * KiB })).toMatchObject({ size: 300 * KiB, sha256: sha256(bytes.subarray(100, 100 + 300 * KiB)), offsets: true });
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

  it('a commit whose sha256 differs from the service\'s is DIGEST_MISMATCH and stores nothing', async () => {
    const { uploadId } = await client.ok('artifact.upload.begin', { ns: 'digest', id: 'd' });
    await client.ok('artifact.upload.append', { uploadId, data: b64('some bytes') });
    const reply = await client.call('artifact.upload.commit', { uploadId, sha256: sha256(Buffer.from('other bytes')) });
    expect(reply).toMatchObject({ ok: false, status: 412, error: { code: 'FAILED_PRECONDITION', reason: 'DIGEST_MISMATCH' } });
    expect(await client.ok('artifact.stat', { ns: 'digest', id: 'd' })).toEqual({ found: false });
    expect(await logOf('digest', 'd')).toEqual([]);
    expect((await blobNames('digest')).filter((n) => !n.startsWith('upload:'))).toEqual([]);
    // The upload is still open: the right digest commits it.
    expect(await client.ok('artifact.upload.commit', { uploadId, sha256: sha256(Buffer.from('some bytes')) })).toMatchObject({ id: 'd', size: 10 });
  });

  it('an abandoned upload expires: recorded in the log, staged parts removed, appends NOT_FOUND', async () => {
    const { uploadId } = await client.ok('artifact.upload.begin', { ns: 'abandon' });
    await client.ok('artifact.upload.append', { uploadId, data: b64('left behind') });
    expect(await blobNames('abandon')).toHaveLength(1);
    const uuid = uploadId.split('.').pop();
    const events = await waitFor(() => logOf('abandon', `upload:${uuid}`), (es) => es.some((e) => e.type === 'artifact.upload_expired'), 15_000);
    expect(events.map((e) => e.type)).toEqual(['artifact.upload_begun', 'artifact.upload_appended', 'artifact.upload_expired']);
    expect(await waitFor(() => blobNames('abandon'), (n) => n.length === 0, 15_000)).toEqual([]);
    for (const [op, body] of [['artifact.upload.append', { uploadId, data: b64('late') }], ['artifact.upload.commit', { uploadId }]] as const)
      expect((await client.call(op, body)).error).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('another tenant or namespace can neither append to nor commit someone else\'s upload', async () => {
    const { uploadId } = await client.ok('artifact.upload.begin', { ns: 'mine', id: 'private' });
    await client.ok('artifact.upload.append', { uploadId, data: b64('mine') });
    const otherTenant = client.withToken(f.service.token({ tenant: 'intruder', agent: 'x', namespaces: ['artifact/*'], ops: ['artifact.*'] }));
    const otherNs = client.withToken(f.service.token({ tenant: 'default', agent: 'x', namespaces: ['artifact/theirs'], ops: ['artifact.*'] }));
    const forged = uploadId.replace(/^mine\./, 'theirs.');
    const attempts: [NatsTestClient, string, string][] = [
      [otherTenant, 'artifact.upload.append', uploadId],
      [otherTenant, 'artifact.upload.commit', uploadId],
      [otherNs, 'artifact.upload.append', uploadId],
      [otherNs, 'artifact.upload.commit', uploadId],
      [otherNs, 'artifact.upload.append', forged],
      [otherNs, 'artifact.upload.commit', forged],
    ];
    for (const [who, op, id] of attempts) {
      const reply = await who.call(op, op.endsWith('append') ? { uploadId: id, data: b64('evil') } : { uploadId: id });
      expect(['PERMISSION_DENIED', 'NOT_FOUND']).toContain(reply.error?.code);
    }
    expect((await otherNs.call('artifact.upload.append', { uploadId, data: b64('evil') })).error?.code).toBe('PERMISSION_DENIED');
    const uuid = uploadId.split('.').pop();
    expect((await logOf('mine', `upload:${uuid}`)).map((e) => e.type)).toEqual(['artifact.upload_begun', 'artifact.upload_appended']);
    const ref = await client.ok('artifact.upload.commit', { uploadId });
    expect(ref).toMatchObject({ size: 4, sha256: sha256(Buffer.from('mine')) });
    expect(await otherTenant.ok('artifact.stat', { ns: 'mine', id: 'private' })).toEqual({ found: false });
  });

  describe('bad input', () => {
    const badIds = ['', '.', '..', 'a/b', '../x', '%2e%2e', 'a b', 'é', 'x'.repeat(129)];
    it.each(badIds)('id %j is INVALID_ARGUMENT naming id on every operation that takes one', async (id) => {
      for (const [op, body] of [
        ['artifact.put', { ns: 'bad', id, data: b64('x') }],
        ['artifact.upload.begin', { ns: 'bad', id }],
        ['artifact.get', { ns: 'bad', id }],
        ['artifact.stat', { ns: 'bad', id }],
        ['artifact.delete', { ns: 'bad', id }],
      ] as const) {
        const reply = await client.call(op, body);
        expect(reply).toMatchObject({ ok: false, status: 400, error: { code: 'INVALID_ARGUMENT', details: { field: 'id' } } });
      }
      expect((await client.ok('artifact.list', { ns: 'bad' })).items).toEqual([]);
    });

    it('oversized or malformed data, bad uploadId and sha256, unknown fields name their field', async () => {
      const cases: [string, unknown, string][] = [
        ['artifact.put', { ns: 'bad', data: b64(Buffer.alloc(512 * KiB + 1)) }, 'data'],
        ['artifact.put', { ns: 'bad', data: 'not base64!' }, 'data'],
        ['artifact.put', { ns: 'bad' }, 'data'],
        ['artifact.put', { ns: 'bad', data: '', contentType: 'x'.repeat(256) }, 'contentType'],
        ['artifact.put', { ns: 'bad', data: '', metadata: { a: 1 } }, 'metadata'],
        ['artifact.upload.append', { uploadId: 'nope', data: b64('x') }, 'uploadId'],
        ['artifact.upload.commit', { uploadId: 'bad.00000000-0000-4000-8000-000000000000', sha256: 'xyz' }, 'sha256'],
        ['artifact.get', { ns: 'bad', id: 'x', offset: -1 }, 'offset'],
        ['artifact.list', { ns: 'bad', limit: 1001 }, 'limit'],
        ['artifact.list', { ns: 'bad', filter: { a: 2 } }, 'filter'],
        ['artifact.stat', { ns: 'bad', id: 'x', extra: 1 }, 'extra'],
      ];
      for (const [op, body, field] of cases) {
        const reply = await client.call(op, body);
        expect(reply, `${op} ${field}`).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } } });
      }
      expect((await client.ok('artifact.list', { ns: 'bad' })).items).toEqual([]);
    });
  });
});
