/** A message of a save, known by id and content hash. */
export interface MessageVersion {
  id: string;
  hash: string;
}

export interface MergedMessage<Theirs extends MessageVersion, Ours extends MessageVersion> {
  id: string;
  /** The stored entry kept as it is, or this save's version. */
  from: { theirs: Theirs } | { ours: Ours };
}

/**
 * Merges a save into what is stored, by message id. Nothing stored is dropped:
 * - the stored order is kept;
 * - a message in both takes this save's version (the last writer wins, per message);
 * - messages only this save has follow the stored ones, in this save's order.
 * A message this save lacks stays: a save never deletes (see `deleteMessages`).
 */
export function mergeMessages<Theirs extends MessageVersion, Ours extends MessageVersion>(
  theirs: readonly Theirs[],
  ours: readonly Ours[],
): MergedMessage<Theirs, Ours>[] {
  const oursById = new Map(ours.map((m) => [m.id, m]));
  const stored = theirs.map((t): MergedMessage<Theirs, Ours> => {
    const mine = oursById.get(t.id);
    return { id: t.id, from: mine && mine.hash !== t.hash ? { ours: mine } : { theirs: t } };
  });
  const storedIds = new Set(theirs.map((t) => t.id));
  const added = ours.filter((m) => !storedIds.has(m.id)).map((m): MergedMessage<Theirs, Ours> => ({ id: m.id, from: { ours: m } }));
  return [...stored, ...added];
}
