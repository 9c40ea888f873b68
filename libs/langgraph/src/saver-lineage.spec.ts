import { describe, expect, it } from 'vitest';
import { checkpointsToKeep, type LineageNode } from './saver-lineage';

/** A linear thread c1 <- c2 <- ... <- cN, ids in time order. */
function chain(n: number, f: (i: number) => Partial<LineageNode> = () => ({})): LineageNode[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return { id: `c${String(i).padStart(2, '0')}`, parent: i === 1 ? null : `c${String(i - 1).padStart(2, '0')}`, readsParentSends: false, replays: [], stored: new Set<string>(), ...f(i) };
  });
}

const sorted = (s: Set<string>) => [...s].sort();

describe('langgraph - which checkpoints retention keeps', () => {
  it('keeps the newest keepLast when nothing older is needed', () => {
    expect(sorted(checkpointsToKeep(chain(6), 2))).toEqual(['c05', 'c06']);
  });

  it('keeps everything when the thread has no more than keepLast', () => {
    expect(sorted(checkpointsToKeep(chain(3), 5))).toEqual(['c01', 'c02', 'c03']);
  });

  it('keeps the ancestors back to and including the last snapshot of a delta channel the newest replays', () => {
    // c03 stored the log's snapshot; c04..c08 replay it.
    const nodes = chain(8, (i) => (i === 3 ? { stored: new Set(['log']) } : i > 3 ? { replays: ['log'] } : {}));
    expect(sorted(checkpointsToKeep(nodes, 1))).toEqual(['c03', 'c04', 'c05', 'c06', 'c07', 'c08']);
  });

  it('a channel the checkpoint itself stores needs no ancestor', () => {
    const nodes = chain(5, (i) => (i === 5 ? { replays: ['log'], stored: new Set(['log']) } : {}));
    expect(sorted(checkpointsToKeep(nodes, 1))).toEqual(['c05']);
  });

  it('follows the needs of the ancestors it keeps, channel by channel', () => {
    // c06 replays `a` back to c04; c04 replays `b` back to c02.
    const nodes = chain(6, (i) =>
      i === 2 ? { stored: new Set(['b']) } : i === 4 ? { stored: new Set(['a']), replays: ['b'] } : i === 5 ? { replays: ['a', 'b'] } : i === 6 ? { replays: ['a'] } : {},
    );
    expect(sorted(checkpointsToKeep(nodes, 1))).toEqual(['c02', 'c03', 'c04', 'c05', 'c06']);
  });

  it('keeps the parent of a checkpoint older than format 4, whose pending sends it reads', () => {
    const nodes = chain(4, (i) => (i === 4 ? { readsParentSends: true } : {}));
    expect(sorted(checkpointsToKeep(nodes, 1))).toEqual(['c03', 'c04']);
  });

  it('stops at a parent that is no longer stored, and walks only the kept branch of a fork', () => {
    const nodes = chain(4, (i) => (i === 4 ? { replays: ['log'] } : {})).filter((n) => n.id !== 'c02');
    const fork: LineageNode = { id: 'c05', parent: 'c01', readsParentSends: false, replays: ['log'], stored: new Set() };
    expect(sorted(checkpointsToKeep([...nodes, fork], 1))).toEqual(['c01', 'c05']);
  });
});
