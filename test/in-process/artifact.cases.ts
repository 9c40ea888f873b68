import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregateSubject, ManualClock, type StoredEvent } from '@memsidecar/core';
import { FsBlobStore, artifactBlock, artifactSettings } from '@memsidecar/artifact';
import type { InProcessOptions, InProcessService } from '@memsidecar/testing';
import type { InProcessCases } from '../support/in-process';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');
const KiB = 1024;
const MiB = 1024 * KiB;
const DAY_MS = 24 * 60 * 60 * 1000;

const UPLOAD_TTL_MS = 3_000;
const GC_GRACE_MS = 1_500;
/** The upload expiry worker's pause (a quarter of the upload TTL) and the collector's: the longer one. */
const WORKER_PAUSE_MS = 750;

/**
 * The service's options for the artifact cases: blobs as files in a fresh temporary directory,
 * removed after the spec file. Blob files carry the wall-clock time they were written; the
 * service's clock starts a day ahead of it, so that what the collector keeps is decided by the
 * grace period on the service's clock alone.
 */
export function artifactInProcess(): Omit<InProcessOptions, 'databaseUrl'> {
  const dir = mkdtempSync(join(tmpdir(), 'memsidecar-artifacts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    blocks: [artifactBlock],
    clock: new ManualClock(new Date(Date.now() + DAY_MS)),
    env: {
      MEMSIDECAR_READ_WAIT_MS: '5000',
      MEMSIDECAR_ARTIFACT_STORE: `fs:${dir}`,
      MEMSIDECAR_ARTIFACT_UPLOAD_TTL_MS: String(UPLOAD_TTL_MS),
      MEMSIDECAR_ARTIFACT_GC_GRACE_MS: String(GC_GRACE_MS),
      MEMSIDECAR_ARTIFACT_GC_INTERVAL_MS: '300',
    },
  };
}

/**
 * artifact's behaviour through the dispatcher, the runtime, the read model and the workers, in one
 * process over the in-memory log and the filesystem blob store, on a manual clock (upload expiry
 * and the collector's grace period move with `clock.advance`); declared on PGlite
 * (artifact.spec.ts) and on Postgres (artifact.int.spec.ts). The JetStream object store, large
 * uploads and reads over NATS stay in test/artifact.e2e.spec.ts.
 */
export const artifactCases: InProcessCases = (service) => {
  let svc: InProcessService;
  let blobs: FsBlobStore;
  beforeAll(async () => {
    svc = service();
    const { store } = artifactSettings(svc.deps.config.artifact);
    if (store.kind !== 'fs') throw new Error('the artifact cases read the blobs from the filesystem store');
    blobs = new FsBlobStore(store.dir);
    // The workers' first rounds, before any write: on the clock a day ahead, the collector would
    // take a write's unfinished file (its wall-clock time) for one a crash left behind.
    await svc.idle();
  });

  const blobNames = async (ns: string) => {
    const names: string[] = [];
    for await (const b of blobs.list()) if (b.key.ns === ns) names.push(b.key.name);
    return names.sort();
  };
  const logOf = async (ns: string, entity: string): Promise<StoredEvent[]> => {
    const events: StoredEvent[] = [];
    for await (const e of svc.log.read({ filter: aggregateSubject(svc.log.prefix, { block: 'artifact', tenant: 'default', ns, entity }) })) events.push(e);
    return events;
  };
  /**
   * Moves the clock by `ms`, then on until each worker has run a whole round that began after it:
   * idle workers sleep past the moment moved to, and each sleeps at most WORKER_PAUSE_MS.
   */
  const pass = async (ms: number) => {
    await svc.idle();
    await svc.clock.advance(ms);
    await svc.idle();
    await svc.clock.advance(WORKER_PAUSE_MS);
    await svc.idle();
  };

  /** `artifact.read`: its items checked for contiguous offsets and their size, and hashed. */
  async function readStream(body: Record<string, unknown>): Promise<{ size: number; sha256: string; items: number; offsets: boolean; error?: any }> {
    const reply = await svc.when<{ offset: number; data: string }[]>('artifact.read', body);
    if (!reply.ok) return { size: 0, sha256: '', items: 0, offsets: true, error: reply.error };
    const hash = createHash('sha256');
    let size = 0;
    let offsets = true;
    for (const item of reply.body) {
      const bytes = Buffer.from(item.data, 'base64');
      offsets &&= item.offset === ((body.offset as number) ?? 0) + size && bytes.length <= 256 * KiB;
      hash.update(bytes);
      size += bytes.length;
    }
    return { size, sha256: hash.digest('hex'), items: reply.body.length, offsets };
  }

  it('put, get, stat, list and delete', async () => {
    const put = await svc.when('artifact.put', { ns: 'rt', id: 'notes.txt', contentType: 'text/plain', metadata: { kind: 'note' }, data: b64('abcdefghij') });
    const ref = put.body;
    expect(ref).toEqual({ id: 'notes.txt', size: 10, sha256: sha256(Buffer.from('abcdefghij')), contentType: 'text/plain', metadata: { kind: 'note' }, createdAt: svc.clock.now().toISOString(), version: 1, seq: expect.any(Number), provenance: { agent: '', tokenId: put.events[0].tokenId, transport: 'in-process', seq: put.events[0].seq, at: svc.clock.now().toISOString() } });
    expect(put.events).toMatchObject([{ type: 'artifact.stored', entity: 'notes.txt', seq: ref.seq }]);
    const got = await svc.ok('artifact.get', { ns: 'rt', id: 'notes.txt' });
    expect(got).toEqual({ ref, data: b64('abcdefghij') });
    expect(Buffer.from((await svc.ok('artifact.get', { ns: 'rt', id: 'notes.txt', offset: 3, length: 4 })).data, 'base64').toString()).toBe('defg');
    expect((await svc.ok('artifact.get', { ns: 'rt', id: 'notes.txt', offset: 8, length: 100 })).data).toBe(b64('ij'));
    expect((await svc.ok('artifact.get', { ns: 'rt', id: 'notes.txt', offset: 99 })).data).toBe('');
    expect(await svc.ok('artifact.stat', { ns: 'rt', id: 'notes.txt' })).toEqual({ found: true, ...ref });

    const anon = await svc.ok('artifact.put', { ns: 'rt', data: b64('x') });
    expect(anon).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), contentType: 'application/octet-stream', metadata: {}, version: 1 });
    for (const id of ['b', 'B', 'a-2', 'a.1']) await svc.ok('artifact.put', { ns: 'rt', id, metadata: { kind: id === 'b' ? 'note' : 'other' }, data: b64(id) });
    const all = await svc.ok('artifact.list', { ns: 'rt' });
    expect(all.items.map((i: { id: string }) => i.id)).toEqual([anon.id, 'B', 'a-2', 'a.1', 'b', 'notes.txt'].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
    expect(all.items.find((i: { id: string }) => i.id === 'notes.txt')).toEqual(ref);
    expect(all.nextStartAfter).toBeNull();
    // The server-assigned UUID may itself start with "a".
    const withA = ['a-2', 'a.1', ...(anon.id.startsWith('a') ? [anon.id] : [])].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1));
    expect((await svc.ok('artifact.list', { ns: 'rt', prefix: 'a' })).items.map((i: { id: string }) => i.id)).toEqual(withA);
    expect((await svc.ok('artifact.list', { ns: 'rt', filter: { kind: 'note' } })).items.map((i: { id: string }) => i.id)).toEqual(['b', 'notes.txt']);
    const page = await svc.ok('artifact.list', { ns: 'rt', limit: 2, startAfter: 'B' });
    expect(page).toEqual({ items: [expect.objectContaining({ id: 'a-2' }), expect.objectContaining({ id: 'a.1' })], nextStartAfter: 'a.1' });

    const deleted = await svc.when('artifact.delete', { ns: 'rt', id: 'notes.txt' });
    expect(deleted).toMatchObject({ ok: true, body: { existed: true, seq: expect.any(Number) }, events: [{ type: 'artifact.deleted', entity: 'notes.txt' }] });
    expect(await svc.when('artifact.delete', { ns: 'rt', id: 'notes.txt' })).toEqual({ ok: true, body: { existed: false }, events: [] });
    expect(await svc.ok('artifact.stat', { ns: 'rt', id: 'notes.txt' })).toEqual({ found: false });
    expect((await svc.when('artifact.get', { ns: 'rt', id: 'notes.txt' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await svc.when('artifact.get', { ns: 'rt', id: 'never' })).error).toMatchObject({ code: 'NOT_FOUND' });
    expect((await readStream({ ns: 'rt', id: 'never' })).error).toMatchObject({ code: 'NOT_FOUND' });

    const events = await logOf('rt', 'notes.txt');
    expect(events.map((e) => e.type)).toEqual(['artifact.stored', 'artifact.deleted']);
    expect(JSON.stringify(events)).not.toContain(b64('abcdefghij'));
  });

  it('the same id again is a new version; createdAt is kept; old and deleted blobs are collected after the grace period', async () => {
    const v1 = await svc.ok('artifact.put', { ns: 'ver', id: 'doc', data: b64('one') });
    await svc.clock.advance(5);
    const v2 = await svc.ok('artifact.put', { ns: 'ver', id: 'doc', contentType: 'text/plain', data: b64('two!') });
    expect(v2).toMatchObject({ version: 2, createdAt: v1.createdAt, size: 4, contentType: 'text/plain' });
    expect((await svc.ok('artifact.get', { ns: 'ver', id: 'doc' })).data).toBe(b64('two!'));
    const [first, second] = (await logOf('ver', 'doc')).map((e) => e.data as { blob: string });
    expect(first.blob).not.toBe(second.blob);
    // Within the grace period the replaced version stays, for readers still streaming it.
    await pass(0);
    expect(await blobNames('ver')).toEqual([first.blob, second.blob].sort());
    await pass(GC_GRACE_MS);
    expect(await blobNames('ver')).toEqual([second.blob]);
    await svc.ok('artifact.delete', { ns: 'ver', id: 'doc' });
    await pass(0);
    expect(await blobNames('ver')).toEqual([second.blob]);
    await pass(GC_GRACE_MS);
    expect(await blobNames('ver')).toEqual([]);
    const v1again = await svc.ok('artifact.put', { ns: 'ver', id: 'doc', data: b64('again') });
    expect(v1again.version).toBe(1);
  });

  it('round-trips 0 B, 11 B and 200 KB through put, get and read, byte for byte with the right sha256', async () => {
    for (const bytes of [Buffer.alloc(0), Buffer.from('hello world'), randomBytes(200_000)]) {
      const ref = await svc.ok('artifact.put', { ns: 'sizes', id: `s${bytes.length}`, data: b64(bytes) });
      expect(ref).toMatchObject({ size: bytes.length, sha256: sha256(bytes) });
      const got = await svc.ok('artifact.get', { ns: 'sizes', id: `s${bytes.length}` });
      expect(Buffer.from(got.data, 'base64').equals(bytes)).toBe(true);
      expect(await readStream({ ns: 'sizes', id: `s${bytes.length}` })).toMatchObject({ size: bytes.length, sha256: sha256(bytes), offsets: true });
    }
  });

  it('get returns at most 512 KiB per reply; the rest is read by range', async () => {
    const bytes = randomBytes(600 * KiB);
    const { uploadId } = await svc.ok('artifact.upload.begin', { ns: 'range', id: 'big' });
    expect(await svc.ok('artifact.upload.append', { uploadId, data: b64(bytes.subarray(0, 400 * KiB)) })).toEqual({ size: 400 * KiB });
    expect(await svc.ok('artifact.upload.append', { uploadId, data: b64(bytes.subarray(400 * KiB)) })).toEqual({ size: 600 * KiB });
    expect(await svc.ok('artifact.upload.commit', { uploadId })).toMatchObject({ id: 'big', size: 600 * KiB, sha256: sha256(bytes), version: 1 });
    const head = Buffer.from((await svc.ok('artifact.get', { ns: 'range', id: 'big' })).data, 'base64');
    expect(head.equals(bytes.subarray(0, 512 * KiB))).toBe(true);
    const capped = Buffer.from((await svc.ok('artifact.get', { ns: 'range', id: 'big', offset: 10, length: 10 * MiB })).data, 'base64');
    expect(capped.equals(bytes.subarray(10, 10 + 512 * KiB))).toBe(true);
    const rest = Buffer.from((await svc.ok('artifact.get', { ns: 'range', id: 'big', offset: 512 * KiB })).data, 'base64');
    expect(rest.equals(bytes.subarray(512 * KiB))).toBe(true);
    expect(await readStream({ ns: 'range', id: 'big', offset: 100, length: 300 * KiB })).toMatchObject({ size: 300 * KiB, sha256: sha256(bytes.subarray(100, 100 + 300 * KiB)), offsets: true });
    const whole = await readStream({ ns: 'range', id: 'big' });
    expect(whole).toMatchObject({ size: 600 * KiB, sha256: sha256(bytes), offsets: true });
    expect(whole.items).toBeGreaterThanOrEqual(3);
    // The staged parts go once the upload is committed; only the final blob stays.
    expect(await blobNames('range')).toHaveLength(1);
  });

  it('a commit whose sha256 differs from the service\'s is DIGEST_MISMATCH and stores nothing', async () => {
    const { uploadId } = await svc.ok('artifact.upload.begin', { ns: 'digest', id: 'd' });
    await svc.ok('artifact.upload.append', { uploadId, data: b64('some bytes') });
    const reply = await svc.when('artifact.upload.commit', { uploadId, sha256: sha256(Buffer.from('other bytes')) });
    expect(reply).toMatchObject({ ok: false, error: { code: 'FAILED_PRECONDITION', reason: 'DIGEST_MISMATCH' } });
    // Copying the parts kept the upload alive; nothing was committed or stored.
    expect(reply.events.map((e) => e.type).filter((t) => t !== 'artifact.upload_extended')).toEqual([]);
    expect(await svc.ok('artifact.stat', { ns: 'digest', id: 'd' })).toEqual({ found: false });
    expect(await logOf('digest', 'd')).toEqual([]);
    expect((await blobNames('digest')).filter((n) => !n.startsWith('upload:'))).toEqual([]);
    // The upload is still open: the right digest commits it.
    expect(await svc.ok('artifact.upload.commit', { uploadId, sha256: sha256(Buffer.from('some bytes')) })).toMatchObject({ id: 'd', size: 10 });
  });

  it('an abandoned upload expires: recorded in the log, staged parts removed, appends NOT_FOUND', async () => {
    const { uploadId } = await svc.ok('artifact.upload.begin', { ns: 'abandon' });
    await svc.ok('artifact.upload.append', { uploadId, data: b64('left behind') });
    expect(await blobNames('abandon')).toHaveLength(1);
    const uuid = uploadId.split('.').pop();
    await pass(UPLOAD_TTL_MS - WORKER_PAUSE_MS - 1);
    expect((await logOf('abandon', `upload:${uuid}`)).map((e) => e.type)).toEqual(['artifact.upload_begun', 'artifact.upload_appended']);
    await pass(WORKER_PAUSE_MS + 1);
    const events = await logOf('abandon', `upload:${uuid}`);
    expect(events.map((e) => e.type)).toEqual(['artifact.upload_begun', 'artifact.upload_appended', 'artifact.upload_expired']);
    expect(events[2]).toMatchObject({ agent: 'memsidecar' });
    expect(await blobNames('abandon')).toEqual([]);
    for (const [op, body] of [['artifact.upload.append', { uploadId, data: b64('late') }], ['artifact.upload.commit', { uploadId }]] as const)
      expect(await svc.when(op, body)).toMatchObject({ error: { code: 'NOT_FOUND' }, events: [] });
  });

  it('another tenant or namespace can neither append to nor commit someone else\'s upload', async () => {
    const { uploadId } = await svc.ok('artifact.upload.begin', { ns: 'mine', id: 'private' });
    await svc.ok('artifact.upload.append', { uploadId, data: b64('mine') });
    const otherTenant = { tenant: 'intruder', agent: 'x', namespaces: ['artifact/*'], ops: ['artifact.*'] };
    const otherNs = { tenant: 'default', agent: 'x', namespaces: ['artifact/theirs'], ops: ['artifact.*'] };
    const forged = uploadId.replace(/^mine\./, 'theirs.');
    const attempts: [typeof otherTenant, string, string][] = [
      [otherTenant, 'artifact.upload.append', uploadId],
      [otherTenant, 'artifact.upload.commit', uploadId],
      [otherNs, 'artifact.upload.append', uploadId],
      [otherNs, 'artifact.upload.commit', uploadId],
      [otherNs, 'artifact.upload.append', forged],
      [otherNs, 'artifact.upload.commit', forged],
    ];
    for (const [who, op, id] of attempts) {
      const reply = await svc.when(op, op.endsWith('append') ? { uploadId: id, data: b64('evil') } : { uploadId: id }, { principal: who });
      expect(['PERMISSION_DENIED', 'NOT_FOUND']).toContain(reply.error?.code);
      expect(reply.events).toEqual([]);
    }
    expect((await svc.when('artifact.upload.append', { uploadId, data: b64('evil') }, { principal: otherNs })).error?.code).toBe('PERMISSION_DENIED');
    const uuid = uploadId.split('.').pop();
    expect((await logOf('mine', `upload:${uuid}`)).map((e) => e.type)).toEqual(['artifact.upload_begun', 'artifact.upload_appended']);
    const ref = await svc.ok('artifact.upload.commit', { uploadId });
    expect(ref).toMatchObject({ size: 4, sha256: sha256(Buffer.from('mine')) });
    expect(await svc.ok('artifact.stat', { ns: 'mine', id: 'private' }, { principal: otherTenant })).toEqual({ found: false });
  });

  describe('bad input', () => {
    const badIds = ['', '.', '..', 'a/b', '../x', '%2e%2e', 'a b', 'é', 'x'.repeat(129)];
    it.each(badIds)('id %j is INVALID_ARGUMENT naming id on every operation that takes one', async (id) => {
      for (const [op, body] of [
        ['artifact.put', { ns: 'bad', id, data: b64('x') }],
        ['artifact.upload.begin', { ns: 'bad', id }],
        ['artifact.get', { ns: 'bad', id }],
        ['artifact.read', { ns: 'bad', id }],
        ['artifact.stat', { ns: 'bad', id }],
        ['artifact.delete', { ns: 'bad', id }],
      ] as const) {
        const reply = await svc.when(op, body);
        expect(reply, op).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field: 'id' } }, events: [] });
      }
      expect((await svc.ok('artifact.list', { ns: 'bad' })).items).toEqual([]);
    });

    it('oversized or malformed data, bad uploadId and sha256, unknown fields name their field', async () => {
      const cases: [string, Record<string, unknown>, string][] = [
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
        const reply = await svc.when(op, body);
        expect(reply, `${op} ${field}`).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', details: { field } }, events: [] });
      }
      expect((await svc.ok('artifact.list', { ns: 'bad' })).items).toEqual([]);
      expect(await blobNames('bad')).toEqual([]);
    });
  });
};
