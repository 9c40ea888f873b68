import { describe, expect, it } from 'vitest';
import type { CommandMeta } from '@memsidecar/core';
import { deciderSpec } from '@memsidecar/testing';
import { kvDecider } from './kv.decider';
import type { KvEvent } from './kv.events';

const spec = deciderSpec(kvDecider, expect);
const t0 = new Date('2026-01-01T00:00:00.000Z');
const at = (ms: number): CommandMeta => ({ now: new Date(t0.getTime() + ms), tenant: 't', agent: 'a' });
const iso = (ms: number) => new Date(t0.getTime() + ms).toISOString();

const set = (version: number, createdMs: number, updatedMs: number, expiresMs: number | null = null, value: unknown = 'v'): KvEvent => ({
  type: 'kv.value_set',
  v: 1,
  data: { value, version, createdAt: iso(createdMs), updatedAt: iso(updatedMs), expiresAt: expiresMs === null ? null : iso(expiresMs), metadata: null },
});
const deleted = (version: number): KvEvent => ({ type: 'kv.value_deleted', v: 1, data: { version } });

describe('kv decider - put', () => {
  it('first write of a key is version 1', () => {
    spec.given([]).when({ type: 'PutValue', value: 'v' }, at(0)).then(set(1, 0, 0));
  });

  it('each write adds 1 to the version and keeps createdAt', () => {
    spec.given([set(1, 0, 0), set(2, 0, 10)]).when({ type: 'PutValue', value: 'v' }, at(20)).then(set(3, 0, 20));
  });

  it('a ttl sets expiresAt from the command time', () => {
    spec.given([]).when({ type: 'PutValue', value: 'v', ttlMs: 500 }, at(100)).then(set(1, 100, 100, 600));
  });

  it('a put without ttl clears an earlier expiry', () => {
    spec.given([set(1, 0, 0, 1000)]).when({ type: 'PutValue', value: 'v' }, at(10)).then(set(2, 0, 10, null));
  });

  it('an expired key counts as absent: the next write is version 1 with a new createdAt', () => {
    spec.given([set(4, 0, 0, 100)]).when({ type: 'PutValue', value: 'v' }, at(100)).then(set(1, 100, 100));
  });

  it('ifVersion 0 creates only', () => {
    spec.given([]).when({ type: 'PutValue', value: 'v', ifVersion: 0 }, at(0)).then(set(1, 0, 0));
    spec.given([set(1, 0, 0)]).when({ type: 'PutValue', value: 'v', ifVersion: 0 }, at(5)).thenFails('FAILED_PRECONDITION', 'VERSION_MISMATCH');
  });

  it('ifVersion 0 succeeds on an expired key', () => {
    spec.given([set(1, 0, 0, 50)]).when({ type: 'PutValue', value: 'v', ifVersion: 0 }, at(60)).then(set(1, 60, 60));
  });

  it('a matching ifVersion writes, a stale one is refused', () => {
    spec.given([set(1, 0, 0), set(2, 0, 5)]).when({ type: 'PutValue', value: 'v', ifVersion: 2 }, at(9)).then(set(3, 0, 9));
    spec.given([set(1, 0, 0), set(2, 0, 5)]).when({ type: 'PutValue', value: 'v', ifVersion: 1 }, at(9)).thenFails('FAILED_PRECONDITION', 'VERSION_MISMATCH');
  });

  it('after a delete the key starts again at version 1', () => {
    spec.given([set(1, 0, 0), set(2, 0, 5), deleted(2)]).when({ type: 'PutValue', value: 'v' }, at(30)).then(set(1, 30, 30));
  });
});

describe('kv decider - delete', () => {
  it('deleting a live key records the deleted version', () => {
    spec.given([set(1, 0, 0), set(2, 0, 1)]).when({ type: 'DeleteValue' }, at(5)).then(deleted(2));
  });

  it('deleting an absent, deleted or expired key changes nothing', () => {
    spec.given([]).when({ type: 'DeleteValue' }, at(0)).then(null);
    spec.given([set(1, 0, 0), deleted(1)]).when({ type: 'DeleteValue' }, at(5)).then(null);
    spec.given([set(1, 0, 0, 10)]).when({ type: 'DeleteValue' }, at(10)).then(null);
  });

  it('a delete with a stale ifVersion is refused; with the current one it deletes', () => {
    spec.given([set(1, 0, 0)]).when({ type: 'DeleteValue', ifVersion: 3 }, at(1)).thenFails('FAILED_PRECONDITION', 'VERSION_MISMATCH');
    spec.given([set(1, 0, 0)]).when({ type: 'DeleteValue', ifVersion: 1 }, at(1)).then(deleted(1));
  });

  it('a delete of a missing key with ifVersion other than 0 is refused', () => {
    spec.given([]).when({ type: 'DeleteValue', ifVersion: 1 }, at(0)).thenFails('FAILED_PRECONDITION', 'VERSION_MISMATCH');
    spec.given([]).when({ type: 'DeleteValue', ifVersion: 0 }, at(0)).then(null);
  });
});

describe('kv decider - evolve', () => {
  it('the newest event alone rebuilds the state (the log is read from its last event)', () => {
    const history = [set(1, 0, 0), set(2, 0, 5, 900), set(3, 0, 7)];
    const folded = history.reduce(kvDecider.evolve, kvDecider.initialState());
    expect(kvDecider.evolve(kvDecider.initialState(), history[2])).toEqual(folded);
  });
});

describe('kv decider - restore', () => {
  const restored = (event: KvEvent, toSeq: number): KvEvent => ({ ...event, data: { ...event.data, revertedTo: toSeq } }) as KvEvent;
  const past = (value: unknown, expiresMs: number | null = null) => ({ value, metadata: { by: 'x' }, expiresAt: expiresMs === null ? null : iso(expiresMs) });

  it('a past value comes back as the next version, with its metadata and expiry, keeping createdAt', () => {
    const expected = set(3, 0, 50, 900, 'old');
    spec
      .given([set(1, 0, 0), set(2, 0, 10)])
      .when({ type: 'RestoreValue', toSeq: 7, past: past('old', 900) }, at(50))
      .then(restored({ ...expected, data: { ...expected.data, metadata: { by: 'x' } } } as KvEvent, 7));
  });

  it('a past absence, or a past value expired by now, deletes the key; over an absent key it changes nothing', () => {
    spec.given([set(1, 0, 0)]).when({ type: 'RestoreValue', toSeq: 3, past: null }, at(10)).then(restored(deleted(1), 3));
    spec.given([set(1, 0, 0)]).when({ type: 'RestoreValue', toSeq: 3, past: past('old', 10) }, at(10)).then(restored(deleted(1), 3));
    spec.given([]).when({ type: 'RestoreValue', toSeq: 3, past: null }, at(10)).then(null);
  });

  it('ifVersion guards a restore like a put', () => {
    spec.given([set(1, 0, 0)]).when({ type: 'RestoreValue', toSeq: 3, past: null, ifVersion: 2 }, at(10)).thenFails('FAILED_PRECONDITION', 'VERSION_MISMATCH');
  });
});
