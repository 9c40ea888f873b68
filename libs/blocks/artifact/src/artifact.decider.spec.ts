import { describe, expect, it } from 'vitest';
import type { CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { artifactDecider, type StoreArtifact } from './artifact.decider';
import { uploadDecider, type AppendPart, type BeginUpload, type CommitUpload } from './artifact-upload.decider';
import type { ArtifactEvent, ArtifactVersion, UploadEvent } from './artifact.events';

const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): CommandMeta => ({ now: new Date(t0.getTime() + ms), tenant: 't', agent: 'a' });
const iso = (ms: number) => new Date(t0.getTime() + ms).toISOString();

describe('artifact decider - store and delete', () => {
  const spec = deciderSpec(artifactDecider, expect);
  const store = (blob: string, o: Partial<StoreArtifact> = {}): StoreArtifact => ({
    type: 'StoreArtifact',
    id: 'doc',
    blob,
    size: 3,
    sha256: 'ab'.repeat(32),
    contentType: 'text/plain',
    metadata: {},
    ...o,
  });
  const version = (blob: string, version: number, createdMs: number, updatedMs: number, o: Partial<ArtifactVersion> = {}): ArtifactVersion => ({
    id: 'doc',
    version,
    blob,
    size: 3,
    sha256: 'ab'.repeat(32),
    contentType: 'text/plain',
    metadata: {},
    createdAt: iso(createdMs),
    updatedAt: iso(updatedMs),
    ...o,
  });
  const stored = (v: ArtifactVersion, replacedBlob: string | null = null): ArtifactEvent => ({ type: 'artifact.stored', v: 1, data: { ...v, replacedBlob } });
  const deleted = (blob: string, v: number): ArtifactEvent => ({ type: 'artifact.deleted', v: 1, data: { id: 'doc', version: v, blob } });

  it('the first store is version 1, naming its blob, size, digest, type and metadata', () => {
    spec.given([]).when(store('b1', { metadata: { k: 'v' } }), at(0)).then(stored(version('b1', 1, 0, 0, { metadata: { k: 'v' } })));
  });

  it('storing again is the next version: createdAt kept, the replaced blob named for the collector', () => {
    const v1 = version('b1', 1, 0, 0);
    spec.given([stored(v1)]).when(store('b2', { size: 9, contentType: 'image/png' }), at(50)).then(stored(version('b2', 2, 0, 50, { size: 9, contentType: 'image/png' }), 'b1'));
  });

  it('the blob already stored is a retried commit: nothing new', () => {
    spec.given([stored(version('b1', 1, 0, 0))]).when(store('b1'), at(10)).then(null);
  });

  it('delete records the deleted version and its blob; deleting nothing changes nothing', () => {
    spec.given([stored(version('b1', 1, 0, 0)), stored(version('b2', 2, 0, 5), 'b1')]).when({ type: 'DeleteArtifact' }, at(9)).then(deleted('b2', 2));
    spec.given([]).when({ type: 'DeleteArtifact' }, at(0)).then(null);
    spec.given([stored(version('b1', 1, 0, 0)), deleted('b1', 1)]).when({ type: 'DeleteArtifact' }, at(9)).then(null);
  });

  it('after a delete the id starts again at version 1 with a new createdAt', () => {
    spec.given([stored(version('b1', 1, 0, 0)), deleted('b1', 1)]).when(store('b3'), at(70)).then(stored(version('b3', 1, 70, 70)));
  });

  it('the newest event alone rebuilds the state (the log is read from its last event)', () => {
    const history = [stored(version('b1', 1, 0, 0)), stored(version('b2', 2, 0, 5), 'b1')];
    const folded = history.reduce(artifactDecider.evolve, artifactDecider.initialState());
    expect(artifactDecider.evolve(artifactDecider.initialState(), history[1])).toEqual(folded);
    expect(folded).toEqual({ status: 'present', ...version('b2', 2, 0, 5) });
  });
});

describe('artifact decider - uploads', () => {
  const spec = deciderSpec(uploadDecider, expect);
  const TTL = 1000;
  const begin: BeginUpload = { type: 'BeginUpload', uploadId: 'ns.u1', id: 'big', contentType: 'application/octet-stream', metadata: { a: 'b' }, ttlMs: TTL };
  const append = (blob: string, size: number): AppendPart => ({ type: 'AppendPart', blob, size, ttlMs: TTL });
  const commit = (expectedParts: number, o: Partial<CommitUpload> = {}): CommitUpload => ({ type: 'CommitUpload', expectedParts, blob: 'final', size: 30, sha256: 'cd'.repeat(32), ...o });
  const begun: UploadEvent = { type: 'artifact.upload_begun', v: 1, data: { uploadId: 'ns.u1', id: 'big', contentType: 'application/octet-stream', metadata: { a: 'b' }, expiresAt: iso(TTL) } };
  const appended = (part: number, blob: string, size: number, total: number, atMs: number): UploadEvent => ({
    type: 'artifact.upload_appended',
    v: 1,
    data: { part, blob, size, totalSize: total, expiresAt: iso(atMs + TTL) },
  });
  const committed: UploadEvent = { type: 'artifact.upload_committed', v: 1, data: { parts: 2, blob: 'final', size: 30, sha256: 'cd'.repeat(32) } };
  const two = [begun, appended(1, 'p1', 10, 10, 100), appended(2, 'p2', 20, 30, 200)];

  it('begin opens the upload with its target id and an expiry', () => {
    spec.given([]).when(begin, at(0)).then(begun);
    spec.given([begun]).when(begin, at(1)).thenFails('FAILED_PRECONDITION', 'UPLOAD_EXISTS');
  });

  it('each append adds the next part, the running size, and moves the expiry out', () => {
    spec.given([begun]).when(append('p1', 10), at(100)).then(appended(1, 'p1', 10, 10, 100));
    spec.given([begun, appended(1, 'p1', 10, 10, 100)]).when(append('p2', 20), at(200)).then(appended(2, 'p2', 20, 30, 200));
  });

  it('an unknown, lapsed or expired upload is NOT_FOUND; a committed one is UPLOAD_COMMITTED', () => {
    spec.given([]).when(append('p', 1), at(0)).thenFails('NOT_FOUND');
    spec.given([begun]).when(append('p', 1), at(TTL)).thenFails('NOT_FOUND');
    spec.given([begun, { type: 'artifact.upload_expired', v: 1, data: { expiresAt: iso(TTL) } }]).when(append('p', 1), at(5)).thenFails('NOT_FOUND');
    spec.given([...two, committed]).when(append('p', 1), at(300)).thenFails('FAILED_PRECONDITION', 'UPLOAD_COMMITTED');
  });

  it('commit seals the parts it copied; a part appended meanwhile is UPLOAD_CHANGED', () => {
    spec.given(two).when(commit(2), at(300)).then(committed);
    spec.given(two).when(commit(1), at(300)).thenFails('FAILED_PRECONDITION', 'UPLOAD_CHANGED');
    spec.given([begun]).when(commit(0, { size: 0 }), at(10)).then({ ...committed, data: { ...committed.data, parts: 0, size: 0 } } as UploadEvent);
  });

  it('a retried commit of the same blob changes nothing; another blob after the commit is refused', () => {
    spec.given([...two, committed]).when(commit(2), at(400)).then(null);
    spec.given([...two, committed]).when(commit(2, { blob: 'other' }), at(400)).thenFails('FAILED_PRECONDITION', 'UPLOAD_COMMITTED');
  });

  it('a commit in progress extends the expiry; a lapsed upload cannot be extended or committed', () => {
    spec.given(two).when({ type: 'ExtendUpload', ttlMs: TTL }, at(900)).then({ type: 'artifact.upload_extended', v: 1, data: { expiresAt: iso(1900) } });
    spec.given(two).when({ type: 'ExtendUpload', ttlMs: TTL }, at(1200)).thenFails('NOT_FOUND');
    spec.given(two).when(commit(2), at(1200)).thenFails('NOT_FOUND');
  });

  it('expiry is recorded once the upload lapsed, and never for an active, committed or expired one', () => {
    const expired: UploadEvent = { type: 'artifact.upload_expired', v: 1, data: { expiresAt: iso(1200) } };
    spec.given(two).when({ type: 'ExpireUpload' }, at(1200)).then(expired);
    spec.given(two).when({ type: 'ExpireUpload' }, at(1199)).then(null);
    spec.given([...two, committed]).when({ type: 'ExpireUpload' }, at(9000)).then(null);
    spec.given([...two, expired]).when({ type: 'ExpireUpload' }, at(9000)).then(null);
  });

  it('folding the events lists the parts in order with the running size', () => {
    const state = two.reduce(uploadDecider.evolve, uploadDecider.initialState());
    expect(state).toMatchObject({ status: 'open', id: 'big', parts: [{ blob: 'p1', size: 10 }, { blob: 'p2', size: 20 }], size: 30, expiresAt: iso(1200) });
  });
});
