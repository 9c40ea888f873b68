import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { TransactionLog } from './transaction-log';

const linesOf = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

const mutation = (id: string) => ({ id, op: 'kv.put', body: { ns: 'n', key: id, value: 1 }, at: '2026-01-01T00:00:00.000Z' });

describe('transaction log - outbox of mutations', () => {
  let path: string;
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m) };

  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'memsidecar-txlog-')), 'tx.jsonl');
    warnings.length = 0;
  });

  it('keeps what is neither acknowledged nor refused, in the order written, across a reopen', () => {
    const log = TransactionLog.open(path, logger);
    for (const id of ['a', 'b', 'c', 'd']) log.written(mutation(id));
    log.acknowledged('b', 7);
    log.refused('d', 'INVALID_ARGUMENT');
    // no close: as after a crash
    const reopened = TransactionLog.open(path, logger);
    expect(reopened.pending().map((m) => m.id)).toEqual(['a', 'c']);
    expect(reopened.pending()[0]).toEqual(mutation('a'));
    expect(warnings).toEqual([]);
  });

  it('sets aside what is older than the request-id retention: kept in .expired, never pending again', () => {
    const log = TransactionLog.open(path, logger);
    const at = (id: string, iso: string) => ({ ...mutation(id), at: iso });
    log.written(at('old-1', '2026-01-01T00:00:00.000Z'));
    log.written(at('fresh', '2026-01-09T00:00:00.000Z'));
    log.written(at('old-2', '2026-01-01T23:59:59.999Z'));
    const setAside = log.setAsideOlderThan(new Date('2026-01-02T00:00:00.000Z'));
    expect(setAside.map((m) => m.id)).toEqual(['old-1', 'old-2']);
    expect(log.pending().map((m) => m.id)).toEqual(['fresh']);
    expect(linesOf(log.expiredPath)).toEqual([at('old-1', '2026-01-01T00:00:00.000Z'), at('old-2', '2026-01-01T23:59:59.999Z')]);
    // as after a crash: the outbox says they are settled, the .expired file still holds them
    expect(TransactionLog.open(path, logger).pending().map((m) => m.id)).toEqual(['fresh']);
    expect(log.setAsideOlderThan(new Date('2026-01-02T00:00:00.000Z'))).toEqual([]);
    expect(linesOf(log.expiredPath)).toHaveLength(2);
  });

  it('writing the same id again (a retry) adds no second line', () => {
    const log = TransactionLog.open(path, logger);
    log.written(mutation('a'));
    log.written(mutation('a'));
    expect(linesOf(path)).toHaveLength(1);
  });

  it('opening compacts the file to the unsettled entries; closing does too', () => {
    const log = TransactionLog.open(path, logger);
    for (const id of ['a', 'b']) log.written(mutation(id));
    log.acknowledged('a');
    expect(linesOf(path).map((l) => l.kind)).toEqual(['pending', 'pending', 'acked']);
    TransactionLog.open(path, logger).close();
    expect(linesOf(path)).toEqual([{ kind: 'pending', ...mutation('b') }]);
    const again = TransactionLog.open(path, logger);
    again.acknowledged('b');
    again.close();
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('a torn last line is skipped with a warning, the lines before it are kept', () => {
    const whole = JSON.stringify({ kind: 'pending', ...mutation('a') });
    const torn = JSON.stringify({ kind: 'pending', ...mutation('b') }).slice(0, 25);
    writeFileSync(path, `${whole}\n${torn}`);
    const log = TransactionLog.open(path, logger);
    expect(log.pending().map((m) => m.id)).toEqual(['a']);
    expect(warnings).toEqual([expect.stringContaining('torn last line skipped')]);
    expect(linesOf(path)).toEqual([JSON.parse(whole)]);
  });

  it('an unreadable line in the middle is named by number and skipped', () => {
    writeFileSync(path, `${JSON.stringify({ kind: 'pending', ...mutation('a') })}\nnot json\n${JSON.stringify({ kind: 'pending', ...mutation('b') })}\n`);
    expect(TransactionLog.open(path, logger).pending().map((m) => m.id)).toEqual(['a', 'b']);
    expect(warnings).toEqual([expect.stringContaining('unreadable line 2 skipped')]);
  });

  it('after close, a late reply changes nothing and throws nothing', () => {
    const log = TransactionLog.open(path, logger);
    log.written(mutation('a'));
    log.close();
    expect(() => log.acknowledged('a')).not.toThrow();
    log.close();
    expect(TransactionLog.open(path, logger).pending().map((m) => m.id)).toEqual(['a']);
  });
});
