/** One stored checkpoint, as retention sees it. */
export interface LineageNode {
  id: string;
  parent: string | null;
  /** Format before 4: it reads its parent's writes to `__pregel_tasks` as its pending sends. */
  readsParentSends: boolean;
  /** Delta channels it rebuilds by replaying ancestors' writes (its metadata's `counters_since_delta_snapshot`). */
  replays: string[];
  /** Channels with a value stored at the version this checkpoint names. */
  stored: Set<string>;
}

/**
 * Which checkpoints of one thread and checkpoint namespace to keep: the newest `keepLast` by id
 * (ids are time-ordered), and, for every checkpoint kept, the ancestors it cannot be read without:
 * for each delta channel it replays and has no value for, every ancestor back to and including
 * the nearest one that stores a value for it (the seed, whose writes are replayed too); and its
 * parent if it reads its pending sends from there. Ancestors kept are themselves readable: their
 * own needs are followed in turn.
 */
export function checkpointsToKeep(nodes: LineageNode[], keepLast: number): Set<string> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const newest = [...byId.keys()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)).slice(0, keepLast);
  const keep = new Set(newest);
  const pending = [...newest];
  const visit = (id: string) => {
    if (keep.has(id)) return;
    keep.add(id);
    pending.push(id);
  };
  while (pending.length > 0) {
    const node = byId.get(pending.pop()!)!;
    const open = new Set(node.replays.filter((channel) => !node.stored.has(channel)));
    let needsParent = node.readsParentSends;
    for (let at = node.parent; at !== null && (open.size > 0 || needsParent); ) {
      const ancestor = byId.get(at);
      if (ancestor === undefined) break; // pruned before, or never stored: nothing older can be needed through it
      visit(at);
      needsParent = false;
      for (const channel of open) if (ancestor.stored.has(channel)) open.delete(channel);
      at = ancestor.parent;
    }
  }
  return keep;
}
